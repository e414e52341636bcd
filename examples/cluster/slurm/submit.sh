#!/bin/sh
# Submit the shards as a job array and the merge as a job that waits for all of them.
set -eu
cd "$(dirname "$0")"
jid=$(sbatch --parsable krs-shards.sbatch)
sbatch --dependency=afterok:"$jid" krs-merge.sbatch
