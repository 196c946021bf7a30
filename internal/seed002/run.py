# Runs seed 002's server (server.py: the seed's code as the seed writes it)
# the way the seed's own last line does,
#     app.run(ssl_context=('pubkey.pem', 'private.pem'), port=5001)
# on the port the test gives as the only argument (0: any free port).
import sys

from server import app

app.run(ssl_context=('pubkey.pem', 'private.pem'), port=int(sys.argv[1]))
