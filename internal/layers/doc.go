// Package layers holds no code. Its test fences ackup's import graph, as
// Tailscale's deptest does: it fails when a package imports a layer above
// its own, when a Kubernetes library is imported outside the Kubernetes
// executor, when a storage driver is imported outside the assembly, or when
// a package lacks a doc comment. docs/architecture.md draws the layers.
package layers
