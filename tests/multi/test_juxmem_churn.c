/* test_juxmem_churn.c - placeholder, being written. */
int main(void) { return 77; }
