package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScanNodesNamesEveryScanOfAPlan(t *testing.T) {
	plan := `Finalize GroupAggregate  (cost=1000.45..32039.42 rows=49 width=49)
  ->  Gather Merge  (cost=1000.45..32037.33 rows=98 width=49)
        ->  Partial GroupAggregate  (cost=0.42..31026.00 rows=49 width=49)
              ->  Parallel Index Only Scan using payouts_stats_idx on payouts  (cost=0.42..26858.83 rows=416655 width=16)
  InitPlan 1 (returns $0)
    ->  Index Only Scan Backward using payouts_time_to_final_idx on payouts payouts_1  (cost=0.43..1.2 rows=1 width=8)
    ->  Parallel Seq Scan on payouts payouts_2  (cost=0.00..1.00 rows=1 width=8)
    ->  Bitmap Index Scan on payouts_attention_created_idx  (cost=0.00..4.1 rows=1 width=0)`
	assert.Equal(t, []string{
		"Parallel Index Only Scan using payouts_stats_idx on payouts",
		"Index Only Scan Backward using payouts_time_to_final_idx on payouts payouts_1",
		"Parallel Seq Scan on payouts payouts_2",
		"Bitmap Index Scan on payouts_attention_created_idx",
	}, scanNodes(plan))
}
