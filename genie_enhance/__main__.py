from genie_enhance.cli import main

main()
