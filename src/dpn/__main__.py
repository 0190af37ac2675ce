from dpn.cli import main

main()
