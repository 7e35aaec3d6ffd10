#!/bin/sh
# A stand-in for `claude -p PROMPT --output-format stream-json --verbose`.
# It prints the same stream-json lines the real CLI prints and does what its
# prompt says, one command per line:
#   write PATH TEXT    create PATH (relative to the workspace) holding TEXT
#   model PATH         create PATH holding the --model given ("default" without one),
#                      so attempts of one prompt on different models differ
#   append PATH TEXT   add a line to PATH
#   delete PATH        remove PATH
#   toolfail CMD       a tool call that fails
#   say TEXT           answer with TEXT
#   show PATH          answer with PATH's content (PATH may be outside the workspace)
#   sleep N            take N seconds
#   junk               print a non-JSON line and a 1.2 MB line
#   fail               end with an error result (exit 1)
#   crash              die without a result line (exit 3)
#   truncate           stop mid-line, as a killed process does (exit 1)
#   flood MB           print MB megabytes of assistant lines (one reply's), fast
#   replay PATH N      print PATH (recorded stream-json, in the workspace) N times, fast
#   bigline MB         print one assistant line holding MB megabytes of text
#   badutf8            print lines with bytes that are not UTF-8, in JSON and not
#   endless MB         print MB megabytes with no newline, then exit 0 (no result)
#   chatty S [RATE]    print about RATE replies a second (20 by default) for S seconds
#   bill               a result line ($0.0125 more each) a second, until stopped
#   run CMD            run CMD with sh: a Bash tool call, its output and exit code the result
#   onconflict TEXT    remember TEXT for the task's later runs: a prompt line
#                      "- PATH" naming a file that holds conflict markers (as the
#                      app's conflict prompt lists them) then makes PATH hold TEXT
#   conflictsleep N    such a later run takes N seconds before it resolves
#   answer TEXT        end with TEXT as the result's text ("\n" a line break), not "Done."
#   verdict WORD WHY   end as a verifier does: the text WHY, then "VERDICT WORD", then WHY
#   seen PATH          end as a verifier does: PASS if PATH exists here, else FAIL
# Anything else is echoed back as assistant text.

set -f  # prompt words are never globbed
PROMPT="" SESSION="" RESUMED="" MODEL=default ANSWER="Done."
while [ $# -gt 0 ]; do
  case "$1" in
    -p) PROMPT="$2"; shift 2 ;;
    --resume) SESSION="$2"; RESUMED=1; shift 2 ;;
    --model) MODEL="$2"; shift 2 ;;
    --output-format) shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$SESSION" ] || SESSION=$(cat /proc/sys/kernel/random/uuid)
CWD=$(pwd)
N=0

json() {  # a JSON string literal of $1
  printf '%s' "$1" | awk 'BEGIN { ORS = ""; printf "\"" }
    { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r");
      if (NR > 1) printf "\\n"; printf "%s", $0 }
    END { printf "\"" }'
}

usage='{"input_tokens":100,"cache_creation_input_tokens":10,"cache_read_input_tokens":20,"output_tokens":50}'

text() {
  printf '{"type":"assistant","session_id":"%s","parent_tool_use_id":null,"message":{"id":"msg_%s","role":"assistant","model":"fake","content":[{"type":"text","text":%s}],"stop_reason":null,"usage":%s}}\n' \
    "$SESSION" "$N" "$(json "$1")" "$usage"
}

tool() {  # name, summary-key, summary, result[, is_error]
  N=$((N + 1))
  printf '{"type":"assistant","session_id":"%s","parent_tool_use_id":null,"message":{"id":"msg_%s","role":"assistant","model":"fake","content":[{"type":"tool_use","id":"toolu_%s","name":"%s","input":{"%s":%s}}],"stop_reason":null,"usage":%s}}\n' \
    "$SESSION" "$N" "$N" "$1" "$2" "$(json "$3")" "$usage"
  printf '{"type":"user","session_id":"%s","parent_tool_use_id":null,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_%s","content":%s,"is_error":%s}]}}\n' \
    "$SESSION" "$N" "$(json "$4")" "${5:-false}"
}

# Like the real CLI, total_cost_usd adds up the whole session across --resume
# (kept in the task's home, as the CLI keeps its session files there).
TOTAL_FILE="${HOME:-/tmp}/.claude/fake-total-$SESSION"
RESOLUTION_FILE="${HOME:-/tmp}/.claude/fake-onconflict"
RESOLUTION_SLEEP="${HOME:-/tmp}/.claude/fake-conflictsleep"

result() {  # is_error, subtype, text
  cents=$(( $(cat "$TOTAL_FILE" 2>/dev/null || echo 0) + 125 ))
  mkdir -p "$(dirname "$TOTAL_FILE")" && echo "$cents" > "$TOTAL_FILE"
  total=$(printf '%d.%04d' $((cents / 10000)) $((cents % 10000)))
  printf '{"type":"result","subtype":"%s","is_error":%s,"duration_ms":12,"duration_api_ms":10,"num_turns":%s,"result":%s,"session_id":"%s","total_cost_usd":%s,"usage":%s,"stop_reason":"end_turn"}\n' \
    "$2" "$1" "$((N + 1))" "$(json "$3")" "$SESSION" "$total" "$usage"
}

printf '{"type":"system","subtype":"init","session_id":"%s","cwd":"%s","model":"fake","tools":["Bash","Edit","Read","Write"],"permissionMode":"bypassPermissions"}\n' "$SESSION" "$CWD"
[ -n "$RESUMED" ] && text "Resuming session $SESSION."

while IFS= read -r line; do
  set -- $line
  cmd="${1:-}"; [ $# -gt 0 ] && shift
  case "$cmd" in
    write|append)
      path="$1"; shift; mkdir -p "$(dirname "$path")"
      if [ "$cmd" = write ]; then printf '%s\n' "$*" > "$path"; else printf '%s\n' "$*" >> "$path"; fi
      tool Write file_path "$CWD/$path" "File written: $CWD/$path" ;;
    model)
      mkdir -p "$(dirname "$1")"; printf '%s\n' "$MODEL" > "$1"
      tool Write file_path "$CWD/$1" "File written: $CWD/$1" ;;
    delete) rm -f "$1"; tool Bash command "rm $1" "" ;;
    toolfail) tool Bash command "$*" "command not found" true ;;
    say) text "$*" ;;
    show) text "$(cat "$1" 2>&1)" ;;
    sleep) text "Thinking for $1 seconds."; sleep "$1" ;;
    junk)
      echo "this is not json"
      head -c 1200000 /dev/zero | tr '\0' 'x'; echo ;;
    fail) result true error_during_execution "I could not do it."; exit 1 ;;
    crash) echo "agent crashed hard" >&2; exit 3 ;;
    truncate) printf '{"type":"assistant","session_id":"%s","mess' "$SESSION"; exit 1 ;;
    flood)
      L=$(text "Flooding the log with the same reply, over and over again.")
      yes "$L" | head -n $(( $1 * 1048576 / (${#L} + 1) )) ;;
    replay)
      n=$2; while [ "$n" -gt 0 ]; do cat "$1"; n=$((n - 1)); done ;;
    bigline)
      printf '{"type":"assistant","session_id":"%s","message":{"id":"msg_big","role":"assistant","model":"fake","content":[{"type":"text","text":"' "$SESSION"
      head -c $(( $1 * 1048576 )) /dev/zero | tr '\0' 'x'
      printf '"}],"stop_reason":null,"usage":%s}}\n' "$usage" ;;
    badutf8)
      printf '{"type":"assistant","session_id":"%s","message":{"id":"msg_bad","role":"assistant","model":"fake","content":[{"type":"text","text":"bad \377\376 bytes"}],"stop_reason":null,"usage":%s}}\n' "$SESSION" "$usage"
      printf 'raw \377\300 junk\n' ;;
    chatty)
      per_tick=$(( ${2:-20} / 10 )); [ "$per_tick" -gt 0 ] || per_tick=1
      ticks=$(( $1 * 10 )) k=0
      while [ "$ticks" -gt 0 ]; do
        i=$per_tick
        while [ "$i" -gt 0 ]; do
          k=$((k + 1)) i=$((i - 1))
          printf '{"type":"assistant","session_id":"%s","parent_tool_use_id":null,"message":{"id":"msg_c%s","role":"assistant","model":"fake","content":[{"type":"text","text":"Still working, step %s."}],"stop_reason":null,"usage":%s}}\n' \
            "$SESSION" "$k" "$k" "$usage"
        done
        sleep 0.1; ticks=$((ticks - 1))
      done ;;
    endless) head -c $(( $1 * 1048576 )) /dev/zero | tr '\0' 'y'; exit 0 ;;
    run) out=$(sh -c "$*" 2>&1); tool Bash command "$*" "$out (exit $?)" ;;
    bill) while :; do result false success "One more turn."; sleep 1; done ;;
    onconflict)
      mkdir -p "$(dirname "$RESOLUTION_FILE")" && printf '%s\n' "$*" > "$RESOLUTION_FILE"
      text "Conflicts will be resolved as: $*" ;;
    answer) ANSWER=$(printf '%b' "$*"); text "$ANSWER" ;;
    seen)
      if [ -e "$1" ]; then word=PASS why="$1 is there"; else word=FAIL why="$1 is missing"; fi
      ANSWER=$(printf 'I looked for it.\nVERDICT %s\n%s' "$word" "$why"); text "$ANSWER" ;;
    verdict)
      word="$1"; shift
      ANSWER=$(printf 'I looked at the change.\nVERDICT %s\n%s' "$word" "$*"); text "$ANSWER" ;;
    conflictsleep) mkdir -p "$(dirname "$RESOLUTION_SLEEP")" && echo "$1" > "$RESOLUTION_SLEEP" ;;
    -)
      if [ -f "$RESOLUTION_FILE" ] && [ -f "$1" ] && grep -q '^<<<<<<<' "$1"; then
        if [ -f "$RESOLUTION_SLEEP" ]; then
          text "Resolving the conflict in $1."; sleep "$(cat "$RESOLUTION_SLEEP")"
        fi
        cat "$RESOLUTION_FILE" > "$1"
        tool Edit file_path "$CWD/$1" "Conflict resolved: $CWD/$1"
      else
        text "$line"
      fi ;;
    "") ;;
    *) text "$line" ;;
  esac
done <<PROMPT_EOF
$PROMPT
PROMPT_EOF

result false success "$ANSWER"
