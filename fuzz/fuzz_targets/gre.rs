#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| dataplane::wire::gre::fuzz(data));
