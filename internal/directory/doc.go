// Package directory is the engine's port to Microsoft Entra ID: the domain
// types the rest of the engine speaks (User, UserAttributes, Group, AppRole,
// TemporaryAccessPass, Mail) and Client, their implementation on the Microsoft
// Graph SDK for Go (msgraph-sdk-go) with azidentity credentials.
//
// Every operation is idempotent: "already a member", "not a member", "already
// disabled", "already deleted" are success, and CreateUser finds the user a
// previous attempt created instead of making a second one.
//
// Errors are classified in one place (see Error): throttling, unavailability
// and network failures are retryable and carry the Retry-After delay; the
// permanent ones (a missing permission, an invalid value, a UPN taken, no
// licence seats left, no usage location) carry a stable type name and a
// message a person can act on. The SDK's own retry handler is switched off so
// that every retry is one the caller (a Temporal activity) decides and shows.
//
// No SDK type leaves this package.
package directory
