from seqlab.cli.app import main

main()
