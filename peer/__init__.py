"""A Python client of mentorburst's own protocol: REST + Socket.IO (``client``), an aiortc call
over the relay and the pre-call check (``call``), PyAV test media (``media``), and the
``mentorburst bot`` that takes real calls (``bot``). Nothing in the server imports it."""
