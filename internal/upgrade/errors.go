package upgrade

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error; the HTTP layer maps each kind (together with
// the Resource of a not-found error) to an ACK error code and status once.
type Kind int

// Error kinds.
const (
	KindInvalid      Kind = iota + 1 // the request is malformed or not allowed as asked
	KindMissing                      // a required parameter is absent
	KindNotFound                     // the object does not exist (for this account)
	KindClusterState                 // the cluster's state forbids the operation
	KindTaskState                    // the task's state forbids the operation
	KindUnavailable                  // a dependency is not reachable
	KindQuota                        // the account holds as many of a resource as it may
)

// Resources named by not-found errors.
const (
	ResCluster  = "cluster"
	ResNodePool = "nodepool"
	ResTask     = "task"
	ResCheck    = "check"
)

// Error is a domain error with a message written for the API's client.
type Error struct {
	Kind     Kind
	Resource string // for KindNotFound
	Message  string
}

func (e *Error) Error() string { return e.Message }

// Invalidf returns a KindInvalid error.
func Invalidf(format string, a ...any) error {
	return &Error{Kind: KindInvalid, Message: fmt.Sprintf(format, a...)}
}

// Missingf returns a KindMissing error.
func Missingf(format string, a ...any) error {
	return &Error{Kind: KindMissing, Message: fmt.Sprintf(format, a...)}
}

// NotFound returns a KindNotFound error for resource res with id.
func NotFound(res, id string) error {
	return &Error{Kind: KindNotFound, Resource: res, Message: fmt.Sprintf("%s %s not found", res, id)}
}

// ClusterStatef returns a KindClusterState error.
func ClusterStatef(format string, a ...any) error {
	return &Error{Kind: KindClusterState, Message: fmt.Sprintf(format, a...)}
}

// TaskStatef returns a KindTaskState error.
func TaskStatef(format string, a ...any) error {
	return &Error{Kind: KindTaskState, Message: fmt.Sprintf(format, a...)}
}

// Quotaf returns a KindQuota error.
func Quotaf(format string, a ...any) error {
	return &Error{Kind: KindQuota, Message: fmt.Sprintf(format, a...)}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
