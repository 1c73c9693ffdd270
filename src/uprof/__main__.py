from uprof.cli import main

main()
