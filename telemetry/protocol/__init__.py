"""GB/T 32960.3-2016 (electric vehicle remote service and management, part 3: communication protocol and data
format): frames, messages and real-time information blocks, decoded and encoded without Django."""
