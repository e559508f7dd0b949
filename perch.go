// Package perch is the domain of a self-hosted server that speaks the Amazon
// Personalize wire protocols: its resources (schemas, dataset groups,
// datasets, event trackers), its records (events, items, users, actions,
// action interactions), the errors the service returns, and the interfaces
// the storage engines and the wire layer meet at.
//
// The package imports nothing else of the project; everything else imports it.
package perch

import (
	"context"
	"errors"
	"fmt"
)

// Error codes, spelled as Amazon Personalize spells them on the wire.
const (
	EInvalidInput          = "InvalidInputException"
	EResourceNotFound      = "ResourceNotFoundException"
	EResourceAlreadyExists = "ResourceAlreadyExistsException"
	EResourceInUse         = "ResourceInUseException"
	ELimitExceeded         = "LimitExceededException"
	EInvalidNextToken      = "InvalidNextTokenException"
	ETooManyTags           = "TooManyTagsException"
	EThrottling            = "ThrottlingException"
	EServiceUnavailable    = "ServiceUnavailable"
	EInternal              = "InternalFailure"
)

// Error is an error the service reports to its caller with an AWS error code.
// Any other error reaching the wire layer is reported as an internal failure.
type Error struct {
	Code    string
	Message string
	// Member is the input member the error is about, as a validation
	// message names it ("eventList.1.member.properties"), when there is
	// one: what someone debugging a refused request looks for first.
	Member string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the AWS error code of err, or EInternal when err is not
// an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrBusy is returned by a store whose commit queue is full; the wire layer
// answers it with a throttling error instead of letting memory grow.
var ErrBusy = Errorf(EThrottling, "Rate exceeded: the server's commit queue is full; retry with backoff")

type accountKey struct{}

// WithAccount returns a context that carries the AWS account id on whose
// behalf a request is served.
func WithAccount(ctx context.Context, account string) context.Context {
	return context.WithValue(ctx, accountKey{}, account)
}

// AccountFrom returns the account id carried by ctx, or "" when there is none.
func AccountFrom(ctx context.Context) string {
	s, _ := ctx.Value(accountKey{}).(string)
	return s
}
