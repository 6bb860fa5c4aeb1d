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
// unsupported $filter clauses, $count without "ConsistencyLevel: eventual",
// $top above 999 and more than 20 requests in a $batch. Each check cites the
// Microsoft documentation page it follows in the tests.
//
// # Control API
//
//	POST   /_sim/faults  {"method","path","status","retryAfter","count","latencyMs","code","message"}
//	GET    /_sim/faults  the pending faults
//	DELETE /_sim/faults  clears all faults
//	GET    /_sim/stats   {"reads","writes","byRoute":{"GET /users":N,...}}
//	DELETE /_sim/stats   clears the counters
//	POST   /_sim/reset   empties the tenant, clears stats and faults
//	POST   /_sim/seed    a Seed document (additive); answers the ids of what it created
//	GET    /_sim/mail    the messages sent through sendMail
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
// read or a write. Control API calls are not counted.
package graphsim
