import FuzzDriver

runLibFuzzer(fuzzWire)
