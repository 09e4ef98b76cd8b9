#!/usr/bin/env python3
"""Holds packets for a fixed time per NFQUEUE queue: the inter-region delay of the multi-region simulation.

The kernels this project runs on have no `netem` qdisc, so packets between regions are sent by an
iptables `NFQUEUE` rule (one queue number per region pair) to this process, which gives each packet its
ACCEPT verdict once the pair's delay has passed. It talks to the kernel through Debian's
libnetfilter_queue (package `libnetfilter-queue1`) with ctypes: no compiler and no PyPI package needed.

    nfqueue-delay.py --cluster-dir DIR QUEUE:MILLISECONDS [QUEUE:MILLISECONDS ...]

`--cluster-dir` only names the cluster this process belongs to (so a sweep can recognise it). Packets are
never dropped here: a queue that is full makes the kernel drop, and the rules do not bypass a dead delayer,
so a crashed delayer shows up as a partition rather than as silently missing delays.
"""
import argparse
import ctypes
import errno
import heapq
import itertools
import select
import signal
import socket
import struct
import sys
import time

NF_ACCEPT = 1
NFQNL_COPY_META = 1
# Packets the kernel may hold per queue while they wait here: a second of traffic at 80 ms is far below it.
MAX_QUEUED_PACKETS = 16_384
# Netlink receive buffer, so bursts are not lost as ENOBUFS before this process reads them.
RECEIVE_BUFFER_BYTES = 8 << 20
# Largest netlink message read at once (metadata only is copied, so packets are small).
MAX_MESSAGE_BYTES = 65_536

CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def load_library():
    lib = ctypes.CDLL("libnetfilter_queue.so.1", use_errno=True)
    lib.nfq_open.restype = ctypes.c_void_p
    lib.nfq_unbind_pf.argtypes = [ctypes.c_void_p, ctypes.c_uint16]
    lib.nfq_bind_pf.argtypes = [ctypes.c_void_p, ctypes.c_uint16]
    lib.nfq_create_queue.restype = ctypes.c_void_p
    lib.nfq_create_queue.argtypes = [ctypes.c_void_p, ctypes.c_uint16, CALLBACK, ctypes.c_void_p]
    lib.nfq_set_mode.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint32]
    lib.nfq_set_queue_maxlen.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.nfq_fd.argtypes = [ctypes.c_void_p]
    lib.nfq_handle_packet.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.nfq_get_msg_packet_hdr.restype = ctypes.c_void_p
    lib.nfq_get_msg_packet_hdr.argtypes = [ctypes.c_void_p]
    lib.nfq_set_verdict.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p]
    lib.nfq_destroy_queue.argtypes = [ctypes.c_void_p]
    lib.nfq_close.argtypes = [ctypes.c_void_p]
    return lib


def parse_queue(text):
    number, _, milliseconds = text.partition(":")
    if not number.isdigit() or not milliseconds.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not QUEUE:MILLISECONDS")
    return int(number), int(milliseconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster-dir", required=True)
    parser.add_argument("queues", nargs="+", type=parse_queue)
    arguments = parser.parse_args()

    lib = load_library()
    handle = lib.nfq_open()
    if not handle:
        sys.exit(f"nfqueue-delay: nfq_open failed (errno {ctypes.get_errno()}): run as root in the namespace")
    # (due time, sequence, queue handle, packet id): the sequence keeps packets of equal due time in order.
    due = []
    sequence = itertools.count()
    queue_handles = {}
    delays = {}

    def on_packet(queue_handle, _message, data, _context):
        header = lib.nfq_get_msg_packet_hdr(data)
        if header:
            packet_id = struct.unpack("!I", ctypes.string_at(header, 4))[0]
            heapq.heappush(due, (time.monotonic() + delays[queue_handle], next(sequence), queue_handle, packet_id))
        return 0

    callback = CALLBACK(on_packet)  # kept alive for the life of the process
    for number, milliseconds in arguments.queues:
        queue_handle = lib.nfq_create_queue(handle, number, callback, None)
        if not queue_handle:
            sys.exit(f"nfqueue-delay: cannot bind queue {number} (errno {ctypes.get_errno()}); is another process on it?")
        lib.nfq_set_mode(queue_handle, NFQNL_COPY_META, 0)
        lib.nfq_set_queue_maxlen(queue_handle, MAX_QUEUED_PACKETS)
        queue_handles[number] = queue_handle
        delays[queue_handle] = milliseconds / 1000.0

    netlink = socket.socket(fileno=lib.nfq_fd(handle))
    netlink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    netlink.setblocking(False)
    buffer = ctypes.create_string_buffer(MAX_MESSAGE_BYTES)
    running = True

    def stop(_signal, _frame):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("nfqueue-delay: " + ", ".join(f"queue {n} {ms} ms" for n, ms in arguments.queues), flush=True)
    while running:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else 1.0
        try:
            readable, _, _ = select.select([netlink], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            try:
                length = netlink.recv_into(buffer)
                lib.nfq_handle_packet(handle, buffer, length)
            except BlockingIOError:
                pass
            except OSError as error:
                # ENOBUFS: the kernel dropped queue messages (they count as lost packets); keep going.
                if error.errno != errno.ENOBUFS:
                    raise
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, queue_handle, packet_id = heapq.heappop(due)
            lib.nfq_set_verdict(queue_handle, packet_id, NF_ACCEPT, 0, None)
    # Release what is still held rather than leave it to the kernel's queue teardown.
    for _, _, queue_handle, packet_id in due:
        lib.nfq_set_verdict(queue_handle, packet_id, NF_ACCEPT, 0, None)
    for queue_handle in queue_handles.values():
        lib.nfq_destroy_queue(queue_handle)
    netlink.detach()  # nfq_close closes the descriptor
    lib.nfq_close(handle)


if __name__ == "__main__":
    main()
