// main.cpp: the `v2g` executable; everything lives in run_cli (cli/cli.cpp).
#include "cli/cli.h"

int main(int argc, char** argv) { return v2g::run_cli(argc, argv); }
