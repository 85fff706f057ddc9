from fuzzer.cli import console_main

console_main()
