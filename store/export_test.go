package store

import "time"

var farFuture = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// PagedQueries are the paging queries the batch workflow, its routes and
// reconciliation run over tables that grow with every campaign, with
// sample arguments, so that an external test can EXPLAIN them.
var PagedQueries = map[string]struct {
	SQL  string
	Args []any
}{
	"OpenPayouts":              {openPayoutsSQL, []any{farFuture, "", 100}},
	"BatchRowsToStart":         {batchRowsToStartSQL, []any{"bt1", "", 100}},
	"CancelUnstartedBatchRows": {cancelUnstartedSQL, []any{"bt1", "", cancelChunk, "reason", "actor"}},
	"ListBatches":              {listBatchesSQL, []any{51}},
	"ListBatchesAfter":         {listBatchesAfterSQL, []any{farFuture, "bt1", 51}},
	"BatchPayoutsPage":         {batchPayoutsPageSQL, []any{"bt1", "", 100}},
}
