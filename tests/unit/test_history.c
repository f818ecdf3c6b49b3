/* test_history.c - placeholder, being written. */
int main(void) { return 77; }
