/* test_juxmem_failover.c - placeholder, being written. */
int main(void) { return 77; }
