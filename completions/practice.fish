# fish completion for practice: asks the binary itself (practice __complete).
complete -c practice -f -a '(practice __complete (commandline -opc)[2..-1] 2>/dev/null)'
