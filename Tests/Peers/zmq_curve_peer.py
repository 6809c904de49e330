"""pyzmq as an independent CURVE client of a Reins server.

usage: zmq_curve_peer.py ENDPOINT SERVER_PUBLIC_KEY ALLOWED_SECRET_CERT

Connects twice with DEALER sockets: once with the allow-listed certificate written by
`reins keys new` (loaded with zmq.auth.load_certificate), once with a fresh key pair that is on
no allow-list. Each sends b"ping" and waits up to 3 s for a reply. Prints one JSON object:
{"allowed_reply": str|null, "stranger_reply": str|null}.
"""
import json
import sys

import zmq
import zmq.auth


def ask(context, endpoint, server_public, public, secret):
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.curve_serverkey = server_public
    socket.curve_publickey = public
    socket.curve_secretkey = secret
    socket.connect(endpoint)
    socket.send(b"ping")
    reply = None
    if socket.poll(3000, zmq.POLLIN):
        reply = socket.recv().decode()
    socket.close()
    return reply


def main():
    endpoint, server_public, certificate = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
    public, secret = zmq.auth.load_certificate(certificate)
    if secret is None:
        raise SystemExit(f"{certificate} has no secret key")
    context = zmq.Context()
    allowed = ask(context, endpoint, server_public, public, secret)
    stranger_public, stranger_secret = zmq.curve_keypair()
    stranger = ask(context, endpoint, server_public, stranger_public, stranger_secret)
    context.term()
    print(json.dumps({"allowed_reply": allowed, "stranger_reply": stranger}))


if __name__ == "__main__":
    main()
