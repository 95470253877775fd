"""This repository's run-book: deploy the sample app to the emulator, plan it, release the package."""
