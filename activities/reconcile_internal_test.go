package activities

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/heleket"
)

// A run that Heleket refuses for our configuration (credentials, a base
// URL answering 404) stops with the reason instead of retrying for ever.
func TestReconcileStopsOnConfigurationErrors(t *testing.T) {
	for _, err := range []error{
		&heleket.AuthError{Endpoint: heleket.PathListPayouts, HTTPStatus: 401},
		&heleket.EndpointError{Endpoint: heleket.PathListPayouts, HTTPStatus: 404},
	} {
		var app *temporal.ApplicationError
		assert.True(t, errors.As(heleketErr("list", err), &app), "%T", err)
		assert.Equal(t, ErrTypeHeleketAuth, app.Type())
		assert.True(t, app.NonRetryable())
	}
	var app *temporal.ApplicationError
	assert.False(t, errors.As(heleketErr("list", &heleket.ServerError{HTTPStatus: 502}), &app), "a 5xx is retried")
}
