from server.app.cli import main

main()
