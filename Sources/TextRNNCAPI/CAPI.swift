// The C ABI; see include/textrnn.h.
