import FuzzDriver

runLibFuzzer(fuzzSchema)
