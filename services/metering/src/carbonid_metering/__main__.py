from carbonid_metering.main import main

main()
