// server.mjs runs panva's oidc-provider, an OpenID-certified authorization
// server, for the Go tests beside it. It reads its configuration from the
// JSON file named by its one argument:
//
//   { "clients": [...],          client metadata, as oidc-provider takes it
//     "signingKey": {...},       the private JWK that signs ID tokens
//     "dpopRequireNonce": bool,  DPoP proofs must carry a server nonce
//     "defaultRotation": bool,   oidc-provider's refresh token rotation policy
//     "requirePAR": bool,        authorization requests must be pushed (RFC 9126)
//     "mountPath": "/path",      optional: the issuer's path, under which
//                                oidc-provider is mounted
//     "tls": { "cert": path, "key": path }  optional: serve https, ask
//                                every client for a certificate, and
//                                enable mutual TLS (RFC 8705) }
//
// Besides oidc-provider's endpoints it answers POST /test/forget-access-token
// (see forget). It listens on 127.0.0.1 on a port the system chooses, and prints one
// line "ready <issuer>" on stdout once it takes requests. It stops when
// its standard input closes, so it never outlives the test that runs it.
import { createServer } from 'node:http';
import { createServer as createTLSServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// With tls, the server asks for a client certificate and takes any:
// oidc-provider checks it against the client's registration.
const server = config.tls
  ? createTLSServer({
    cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key), requestCert: true, rejectUnauthorized: false,
  })
  : createServer();
server.listen(0, '127.0.0.1', () => {
  const mount = config.mountPath ?? '';
  const issuer = `${config.tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}${mount}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [config.signingKey] },
    scopes: ['openid', 'offline_access', 'read'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none']
      .concat(config.tls ? ['self_signed_tls_client_auth'] : []),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      mTLS: {
        enabled: Boolean(config.tls),
        certificateBoundAccessTokens: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => ctx.socket.getPeerX509Certificate?.(),
        certificateAuthorized: (ctx) => ctx.socket.authorized,
        certificateSubjectMatches: () => false,
      },
      pushedAuthorizationRequests: { requirePushedAuthorizationRequests: config.requirePAR === true },
      // One API, urn:bearer:api, whose access tokens are JWTs (RFC 9068)
      // that live five minutes.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== 'urn:bearer:api') throw new errors.InvalidTarget();
          return { scope: 'read', audience: resource, accessTokenTTL: 300, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: () => config.dpopRequireNonce === true,
      },
    },
    // The default issueRefreshToken: a refresh token only for a grant
    // with offline_access, which OpenID Connect Core 11 grants only with
    // prompt=consent. A new refresh token at every refresh, the rotation
    // the Refresher has to keep; with defaultRotation, oidc-provider's own
    // policy, which keeps a sender-constrained (DPoP) refresh token.
    ...(config.defaultRotation ? {} : { rotateRefreshToken: true }),
    pkce: { required: () => true },
  });
  // Errors the server answers with are the tests' business: keep its
  // stderr for the ones it does not expect.
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url === '/test/forget-access-token') return forget(provider, req, res);
    // Mounted under a path, as express mounts it: the provider reads the
    // mount path from originalUrl.
    if (!req.url.startsWith(`${mount}/`)) return res.writeHead(404).end('not found');
    req.originalUrl = req.url;
    req.url = req.url.slice(mount.length);
    return callback(req, res);
  });
  console.log(`ready ${issuer}`);
});

// The test closes our stdin to stop us, and so does its death.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

// forget destroys the access token posted as the request's body, and
// only it: revocation would end the whole grant, refresh token included.
// The tests use it to have a token rejected that the Refresher still
// believes valid.
async function forget(provider, req, res) {
  let token = '';
  for await (const chunk of req) token += chunk;
  const found = await provider.AccessToken.find(token);
  if (found) await found.destroy();
  res.writeHead(found ? 204 : 404).end();
}
