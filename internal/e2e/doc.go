// Package e2e holds ackup's end-to-end tests: each starts a real server on a
// free loopback port with its own temporary database and drives it with the
// official Alibaba Cloud Go SDK (cs-20151215/v7), the way users will. The
// package has no non-test code beyond this comment.
package e2e
