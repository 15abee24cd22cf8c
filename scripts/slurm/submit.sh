#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fans a matrix file out over Slurm: one job-array task per shard (cuconform matrix shard --run), then a
# dependent job that merges the shards (cuconform merge) and writes the report. Prints the two job ids.
#
#   scripts/slurm/submit.sh MATRIX.yaml --shards N --out DIR [--gpu] [--tag T] [--only GLOB]...
#                           [--partition P] [--time MIN] [--cli PATH] [--dry-run]
#
# DIR/shard-I/ holds shard I's cells, DIR/merged/ the merged cells, DIR/report/ the report, DIR/logs/ the
# Slurm output. --gpu asks for one GPU per task (--gres=gpu:1). --dry-run writes the batch scripts only.
set -euo pipefail

die() { echo "submit.sh: $*" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cli="$repo/build/bin/cuconform"
matrix="" shards="" out="" gpu=0 tag="" partition="" time_limit="" dry_run=0
only=()
while (($#)); do
    case "$1" in
        --shards) shards=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --gpu) gpu=1; shift ;;
        --tag) tag=${2:?}; shift 2 ;;
        --only) only+=("${2:?}"); shift 2 ;;
        --partition) partition=${2:?}; shift 2 ;;
        --time) time_limit=${2:?}; shift 2 ;;
        --cli) cli=${2:?}; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) sed -n '3,10p' "$0"; exit 0 ;;
        -*) die "unknown option $1; see --help" ;;
        *) [[ -z $matrix ]] || die "one matrix file only (got $matrix and $1)"; matrix=$1; shift ;;
    esac
done
[[ -n $matrix && -n $shards && -n $out ]] || die "need MATRIX.yaml, --shards N and --out DIR; see --help"
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "--shards must be a positive number, got '$shards'"
[[ -f $matrix ]] || die "matrix file $matrix does not exist"
[[ -x $cli ]] || die "no cuconform CLI at $cli: build it (cmake --preset default && cmake --build build) or pass --cli"
command -v sbatch >/dev/null || ((dry_run)) ||
    die "sbatch not found: run this on a Slurm submit node (apt-get install slurm-client)"

matrix=$(realpath "$matrix")
cli=$(realpath "$cli")
out=$(realpath -m "$out")
mkdir -p "$out/logs" "$out/slurm"

# Every task gets the same selection; quoted once here.
selection=""
[[ -n $tag ]] && selection+=" --tag $(printf '%q' "$tag")"
for glob in "${only[@]}"; do selection+=" --only $(printf '%q' "$glob")"; done

headers() {  # common #SBATCH lines
    [[ -n $partition ]] && echo "#SBATCH --partition=$partition"
    [[ -n $time_limit ]] && echo "#SBATCH --time=$time_limit"
    return 0
}

{
    echo "#!/usr/bin/env bash"
    echo "#SBATCH --job-name=cuconform-shards"
    echo "#SBATCH --array=0-$((shards - 1))"
    echo "#SBATCH --output=$out/logs/shard-%a.out"
    ((gpu)) && echo "#SBATCH --gres=gpu:1"
    headers
    echo "set -u"
    echo "exec $(printf '%q' "$cli") matrix shard $(printf '%q' "$matrix") --index \"\$SLURM_ARRAY_TASK_ID\"" \
         "--count $shards --run --out $(printf '%q' "$out")/shard-\"\$SLURM_ARRAY_TASK_ID\"$selection"
} > "$out/slurm/shards.sbatch"

q_out=$(printf '%q' "$out")
q_cli=$(printf '%q' "$cli")
{
    echo "#!/usr/bin/env bash"
    echo "#SBATCH --job-name=cuconform-merge"
    echo "#SBATCH --output=$out/logs/merge.out"
    headers
    echo "set -u"
    echo "$q_cli merge $q_out/shard-* -o $q_out/merged || exit 2"
    echo "rc=0"
    echo "$q_cli report $q_out/merged -o $q_out/report || rc=\$?"
    echo "$q_cli table $q_out/merged -o $q_out/report || rc=\$?"
    echo "$q_cli junit $q_out/merged -o $q_out/report/junit.xml || rc=\$?"
    echo "echo \"cuconform: merged results in $out/merged, report $out/report/index.html\""
    echo "exit \$rc"
} > "$out/slurm/merge.sbatch"

if ((dry_run)); then
    echo "submit.sh: wrote $out/slurm/shards.sbatch and $out/slurm/merge.sbatch (not submitted: --dry-run)"
    exit 0
fi
array_id=$(sbatch --parsable "$out/slurm/shards.sbatch") || die "sbatch refused the shard array (its message is above)"
array_id=${array_id%%;*}
# afterany: a shard that does not conform exits 1, and its results must still be merged.
merge_id=$(sbatch --parsable --dependency="afterany:$array_id" "$out/slurm/merge.sbatch") ||
    die "sbatch refused the merge job (array $array_id is queued; cancel it with scancel $array_id)"
merge_id=${merge_id%%;*}
echo "submit.sh: array job $array_id ($shards shards), merge job $merge_id; report at $out/report/index.html"
echo "CUCONFORM_SLURM_JOBS array=$array_id merge=$merge_id"
