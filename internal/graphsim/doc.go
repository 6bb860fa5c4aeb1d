// Package graphsim is a strict, in-memory simulator of the Microsoft Graph v1.0
// endpoints the engine uses, for tests, the dev stack and benchmarks.
//
// A Sim holds one tenant (verified domains, users, groups, subscribed SKUs,
// service principals with app roles, deleted items) and serves it as an
// http.Handler: Graph requests under /v1.0/..., a control API under /_sim/...
//
// # Wire format
//
// Responses follow Graph v1.0: JSON bodies with "@odata.context", "@odata.type"
// on directoryObject-typed items (members, memberOf, manager, directReports,
// deleted items), RFC 3339 UTC times, "@odata.nextLink" paging with an opaque
// $skiptoken, "@odata.deltaLink" for users/delta, and Graph's error body
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
// Request bodies may be gzip-compressed (Content-Encoding: gzip), as the Graph
// SDK sends them; other content encodings are answered with 415, after which the
// SDK resends the body uncompressed.
//
// The Authorization header is not checked: any bearer token, or none, is
// accepted. Tests that need 401/403 behaviour inject a fault instead.
//
// # Strictness
//
// Where the engine could get it wrong the simulator answers as Entra ID does:
// duplicate userPrincipalName / mailNickname / proxy address, a UPN on an
// unverified domain, unknown or read-only properties, licensing a user without
// usageLocation, no seats left on a SKU, adding an existing group member,
// removing a non-member, duplicate app role assignments, malformed or
// unsupported $filter clauses, /users/$count without "ConsistencyLevel:
// eventual" and more than 20 requests in a $batch. Each check cites the public
// source it follows in the tests. Always on, as in every Entra tenant:
//
//   - Length limits on user strings (employeeId 16; givenName, surname,
//     department, companyName, mailNickname, mobilePhone 64; jobTitle, city,
//     country, state, officeLocation 128; postalCode 40; displayName 256;
//     streetAddress 1024) and no accented characters in mail or
//     userPrincipalName: 400 Request_BadRequest "Invalid value specified for
//     property '…' of resource 'User'." (user resource property table).
//   - Group-based licensing: a group's assignedLicenses are inherited by its
//     direct user members; a user's assignedLicenses lists each SKU once and
//     licenseAssignmentStates has one entry per source (assignedByGroup null
//     when direct). Removing an inherited licence with assignLicense is 400
//     "User license is inherited from a group membership and it cannot be
//     removed directly from the user."; the direct part of a licence held both
//     ways can be removed; consumedUnits counts a user once per SKU; leaving
//     the group (or the group losing the licence) removes the inherited one.
//     POST /groups/{id}/assignLicense answers 202 with the group.
//   - Hybrid users: a user with onPremisesSyncEnabled true refuses a PATCH of
//     any on-premises-mastered property, and manager $ref writes on it, with
//     400 "Unable to update the specified properties for on-premises mastered
//     Directory Sync objects or objects currently undergoing migration."; only
//     usageLocation, employeeLeaveDateTime, otherMails and ageGroup stay
//     writable. Group membership, licences and app roles work as for cloud users.
//   - Temporary Access Pass policy (GET/PATCH
//     /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass,
//     default: enabled, 60..480 minutes, 60 by default, multi-use, 8 characters):
//     a pass outside the lifetime bounds is 400 badRequest "Invalid
//     LifetimeInMinutes specified. The valid range between 60 and 480.", a
//     multi-use pass under a one-time policy is 400, a disabled policy refuses
//     passes, and a new pass replaces the user's previous one.
//   - $count=true without "ConsistencyLevel: eventual" is ignored (200, no
//     "@odata.count"); companyName and employeeType filters, like ne, not,
//     endsWith and null checks, need ConsistencyLevel: eventual and
//     $count=true, else 400 Request_UnsupportedQuery.
//   - $top above 999 is 400 Request_UnsupportedQuery.
//   - $batch request ids are unique ignoring case; a POST, PATCH or PUT needs a
//     body and a Content-Type header, and any request with a body needs the
//     header, else the whole batch is 400 "Write request id : N does not
//     contain Content-Type header or body.".
//
// Off by default (Config, see below):
//
//   - Replication lag: for ReplicationLagMs after a user is created or restored
//     through the API, reads of it by id or UPN answer 404
//     Request_ResourceNotFound, listings and $filter lookups leave it out, and
//     reference writes naming it (manager $ref as subject or target, member
//     add or members@odata.bind, assignLicense, appRoleAssignments, Temporary
//     Access Pass) answer 404. The create itself answers 201 with the object,
//     and UPN / mailNickname uniqueness is checked at once. Seeded users are
//     visible immediately; the Go helpers (User, Manager, ...) always see the
//     current state. After a PATCH, reads by id, listings and $filter see the
//     user's previous properties for the same lag; the PATCH answers 204.
//   - Write quota: with WriteQuota > 0, a write (POST, PATCH, PUT, DELETE;
//     each $batch sub-request counts, the envelope does not) beyond WriteQuota
//     in the sliding window of WriteQuotaWindowSeconds (default 150, Entra's
//     identity limit is 3,000 writes per 150 s per app and tenant) answers 429
//     TooManyRequests with Retry-After set to the seconds until a slot frees;
//     inside a $batch the sub-request answers 429. Throttled writes change
//     nothing.
//
// The simulator's clock is time.Now unless SetClock replaces it, so tests move
// time (replication lag, quota window, pass validity) without sleeping.
//
// # Control API
//
//	POST   /_sim/faults  {"method","path","status","retryAfter","count","latencyMs","code","message"}
//	GET    /_sim/faults  the pending faults
//	DELETE /_sim/faults  clears all faults
//	GET    /_sim/stats   {"reads","writes","byRoute":{"GET /users":N,...},"maxWritesInWindow","throttled"}
//	DELETE /_sim/stats   clears the counters
//	GET    /_sim/config  {"replicationLagMs","writeQuota","writeQuotaWindowSeconds"}
//	PUT    /_sim/config  the same document; answers the new config, or 400 with the reason
//	POST   /_sim/latency {"latencyMs": N} adds a fixed delay to every Graph request
//	POST   /_sim/reset   empties the tenant, clears stats and faults (the config stays)
//	POST   /_sim/seed    a Seed document (additive); answers the ids of what it created
//	GET    /_sim/mail    the messages sent through sendMail
//
// A Seed may give groups "assignedLicenses" ([{"skuId": id or part number}]),
// users "onPremisesSyncEnabled": true (and onPremisesImmutableId,
// onPremisesSamAccountName, ... ), and "temporaryAccessPassPolicy".
//
// A fault's path is a prefix of the request path after /v1.0 (for example
// "/users"); a path containing "*" or "{...}" segments matches segment by
// segment, each such segment matching any one segment, still as a prefix. The
// first pending fault that matches a request is applied: it waits latencyMs,
// then, when status is non-zero, answers that status with a Graph error body
// and a Retry-After header when retryAfter > 0. After count matching requests
// (1 when count <= 0) the fault is gone. Faults apply to $batch sub-requests
// too, so a throttled sub-request shows up as a 429 inside the batch response.
//
// # Statistics
//
// Every Graph request is counted under "METHOD /path/template", with ids
// replaced by {id} (for example "DELETE /groups/{id}/members/{id}/$ref").
// Requests answered by a fault are counted too: the client made them. GET
// requests count as reads; POST, PATCH, PUT and DELETE as writes. A $batch
// envelope is counted only under "POST /$batch" and is neither a read nor a
// write; each of its sub-requests is counted under its own template and as a
// read or a write. Control API calls are not counted. maxWritesInWindow is the
// most writes seen in any sliding window of the configured length, throttled
// the number of 429 answers given because of the write quota.
//
// # Durable storage
//
// PersistTo(path) keeps the tenant in a SQLite database (pure Go, WAL,
// synchronous=FULL): it loads the tenant stored there, or stores the current
// one in a new file, and from then on every write stores the objects it
// changed (one JSON row per user, group, app role assignment; tenant-wide
// state; new mail) in one transaction before the answer is sent, so a killed
// process loses nothing it acknowledged. Seeds and resets rewrite the whole
// file. Statistics, faults and the Config are not stored. Close releases it.
package graphsim
