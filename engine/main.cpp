// main.cpp: the `v2g` executable; everything lives in run_cli (engine/cli.cpp).
#include "engine/cli.h"

int main(int argc, char** argv) { return v2g::run_cli(argc, argv); }
