#!/usr/bin/env python3
"""A loopback TCP proxy that counts the bytes clients send. usage: count-proxy.py LISTEN_PORT TARGET_PORT COUNT_FILE
After every closed connection COUNT_FILE holds the total client-to-server bytes so far."""
import asyncio, sys

listen_port, target_port, count_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
total = 0


async def pipe(reader, writer, counted):
    global total
    try:
        while data := await reader.read(65536):
            if counted:
                total += len(data)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    await asyncio.gather(pipe(client_reader, server_writer, True), pipe(server_reader, client_writer, False))
    with open(count_file, "w") as f:
        f.write(str(total))


async def main():
    with open(count_file, "w") as f:
        f.write("0")
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
