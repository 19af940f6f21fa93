// Package auth is drover's authentication: JWTs issued and verified as
// djangorestframework-simplejwt does ([Tokens]), password hashing
// compatible with Django's ([Hasher]), and the [Store] of users and
// refresh-token state: [SQLiteStore], one file for the workers of one
// host, or [PostgresStore], one database for several hosts.
//
// # Where it runs
//
// In every worker process, behind the API's handlers, and in the single
// process of `drover dev`. The supervisor opens the store once before the
// workers start, so that the schema is created or migrated once, and admin
// commands (`drover createuser`, …) open the same store. Several processes
// (and, on PostgreSQL, several hosts) share one store: everything a worker
// must know about another's tokens is in it, nothing in memory.
//
// # Lifecycle
//
// [OpenSQLite] or [OpenPostgres] is called when a process starts and Close
// when it exits; every commit is durable when it returns, so a worker killed at
// any moment loses nothing it acknowledged. [NewHasher] and [NewTokens] hold
// no resources. Nothing here starts a goroutine that outlives a call.
//
// # Signals
//
// None. The supervisor and the worker own signal handling; nothing here calls
// signal.Notify or os.Exit.
//
// # Refresh tokens
//
// The store keeps the SHA-256 of each refresh token's jti, never the jti.
// A login starts a token family; each refresh consumes the presented token
// and records its successor in the family, in one conditional write inside
// one immediate transaction, so two refreshes of one token (in one worker
// or two) cannot both succeed. A consumed token presented again is a reuse
// ([ReuseError]): within the grace window after its rotation it is only
// refused, later it revokes its whole family. Blacklisting is the same
// kind of conditional write, and a consumed token presented for
// blacklisting revokes its family at once. [Store.Prune] removes expired
// tokens (on PostgreSQL, one host at a time).
//
// # Embedding
//
// A program that serves its own routes behind drover's authentication
// finds, in the request context of a handler behind it, the [User]
// ([UserFrom]) and the token's [Claims] ([ClaimsFrom]), put there with
// [WithUser] from what [Service.Authenticate] returned. Its own claims
// are added to the tokens by a [ClaimsFunc] ([ServiceConfig.Claims]) at
// login and at every refresh, and read back with [Claims.Decode] or
// [Claims.Claim], decoded only when asked.
//
// # Passwords
//
// [Hasher.Hash] writes argon2id in Django's format
// (argon2$argon2id$v=19$m=19456,t=2,p=1$salt$hash); [Hasher.Verify] also
// reads Django's pbkdf2_sha256, pbkdf2_sha1 and argon2i hashes and asks for
// a re-hash after a login with one. At most [HasherConfig.MaxConcurrent]
// hashes run at once, each holding its memory cost: in a process, or
// across every worker of a host once they [Hasher.Share] one directory.
// [PasswordValidator] applies Django's four default password validators
// to a new password, in Django's words, with Django's common-password list
// embedded (compressed); the admin commands call it, the API never does.
package auth
