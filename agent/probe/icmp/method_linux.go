package icmp

// The sweep runs on Linux (raw or ping sockets with batched I/O).
const available = true

var errUnavailable error
