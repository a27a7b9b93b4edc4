// Package security sends hostile and malformed requests to every route of
// the running product (Temporal dev server, PostgreSQL, the API over real
// HTTP) and checks that each is refused with a clear 4xx and leaves the
// database and Temporal exactly as they were.
package security

import (
	"testing"

	"github.com/heleket-payouts/payouts/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
