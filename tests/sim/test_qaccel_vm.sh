#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# sim/qaccel-vm as a person uses it: the interactive guest shell driven
# through a real terminal (tmux send-keys / capture-pane), and the
# tracepoint recording of a command.  Prints KTAP for tests/run-tests.sh.
#
#   tests/sim/test_qaccel_vm.sh        (after make; uses the functional device)
#
# Every case also checks that the run left nothing behind: no qemu or
# qaccel-sim of its own, no guest RAM file in /dev/shm.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/sim/qaccel-vm
work=$(mktemp -d "${TMPDIR:-/tmp}/qaccel-vm-test.XXXXXX")
session=qvm-test-$$
trap 'tmux kill-session -t "$session" 2>/dev/null; rm -rf "$work"' EXIT

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }

# The screen of the tmux session, blank lines dropped.
screen() { tmux capture-pane -p -t "$session" | grep -v '^$'; }

# wait_for TEXT SECONDS: until the screen shows TEXT.
wait_for() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.2
	done
	return 1
}

# qemu and qaccel-sim processes of this tree's runs (their sockets and RAM
# files are named after build/vm/run.*): none may be left once qaccel-vm has
# exited.
leftovers() {
	pgrep -af -- "$top/build/vm/run\\." || true
}

# start_shell [qaccel-vm options]: a guest shell in a fresh tmux session;
# its exit status lands in $work/status.
start_shell() {
	rm -f "$work/status"
	tmux kill-session -t "$session" 2>/dev/null
	tmux new-session -d -s "$session" -x 120 -y 40 \
		"cd $(printf %q "$top") && QACCEL_BUILD=$(printf %q "$top/build") \
		 $(printf %q "$vm") --functional --console-log $(printf %q "$work/console.log") \
		 --shell $*; echo \$? >$(printf %q "$work/status"); sleep 600"
	wait_for 'qaccel-vm:' 120
}

# wait_exit SECONDS: until qaccel-vm has exited; its status on stdout.
wait_exit() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		if [ -s "$work/status" ]; then
			cat "$work/status"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

shm_before=$(ls /dev/shm | grep -c '^qaccel-vm-' || true)
shm_clean() { [ "$(ls /dev/shm | grep -c '^qaccel-vm-' || true)" -le "$shm_before" ]; }

echo "TAP version 13"
echo "1..4"

if ! command -v tmux >/dev/null; then
	for t in shell_runs_commands_and_ctrl_d_leaves_cleanly shell_exit_status_is_the_shells \
		 ctrl_c_interrupts_the_guest_command_not_the_machine; do
		skip "$t" "tmux is not installed (scripts/setup.sh installs it)"
	done
else
	# 1. A session: the driver is there, commands run, Ctrl-D ends it all.
	t=shell_runs_commands_and_ctrl_d_leaves_cleanly
	if start_shell; then
		tmux send-keys -t "$session" 'qaccel-info | head -n 4; echo "modules: $(grep -c ^qaccel /proc/modules)"' Enter
		wait_for 'modules: 1' 60
		tmux send-keys -t "$session" C-d
		st=$(wait_exit 60)
		out=$(screen)
		if grep -q 'qaccel 0: /dev/dri/renderD' <<<"$out" && grep -q 'modules: 1' <<<"$out" &&
		   [ "$st" = 0 ] && [ -z "$(leftovers)" ] && shm_clean; then
			ok "$t"
		else
			echo "# exit status '$st'"; diag <<<"$out"; leftovers | diag
			not_ok "$t"
		fi
	else
		screen | diag
		not_ok "$t"
	fi

	# 2. `exit 3` is qaccel-vm's exit status.
	t=shell_exit_status_is_the_shells
	if start_shell; then
		tmux send-keys -t "$session" 'exit 3' Enter
		st=$(wait_exit 60)
		if [ "$st" = 3 ] && [ -z "$(leftovers)" ]; then
			ok "$t"
		else
			echo "# exit status '$st'"; screen | diag
			not_ok "$t"
		fi
	else
		screen | diag
		not_ok "$t"
	fi

	# 3. Ctrl-C reaches the guest's foreground command; the shell and the
	#    machine stay up.
	t=ctrl_c_interrupts_the_guest_command_not_the_machine
	if start_shell; then
		tmux send-keys -t "$session" 'sleep 300' Enter
		sleep 2
		tmux send-keys -t "$session" C-c
		tmux send-keys -t "$session" 'echo "sleep-status-$?"' Enter
		got=0
		wait_for 'sleep-status-130' 30 && got=1
		tmux send-keys -t "$session" 'echo "still-$((40 + 2))"' Enter
		wait_for 'still-42' 30 || got=0
		tmux send-keys -t "$session" C-d
		st=$(wait_exit 60)
		if [ "$got" = 1 ] && [ "$st" = 0 ] && [ -z "$(leftovers)" ]; then
			ok "$t"
		else
			echo "# exit status '$st'"; screen | diag
			not_ok "$t"
		fi
	else
		screen | diag
		not_ok "$t"
	fi
	tmux kill-session -t "$session" 2>/dev/null
fi

# 4. --tracepoints: one GEMM's submit, start and complete events, on the host.
t=tracepoints_record_a_jobs_submit_start_and_complete
"$vm" --functional --console-log "$work/console.log" --tracepoints "$work/trace.txt" \
	-- "$top/build/examples/qaccel-demo" >"$work/demo.log" 2>&1
st=$?
if [ "$st" = 0 ] && grep -q 'qaccel_job_submit: job=' "$work/trace.txt" &&
   grep -q 'qaccel_job_start: job=' "$work/trace.txt" &&
   grep -q 'qaccel_job_complete: job=.* status=0' "$work/trace.txt" && [ -z "$(leftovers)" ]; then
	ok "$t"
else
	echo "# exit status $st"; diag <"$work/demo.log"; diag <"$work/trace.txt" 2>/dev/null
	not_ok "$t"
fi

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" = 0 ]
