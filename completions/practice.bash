# bash completion for practice: asks the binary itself (practice __complete),
# so it always matches the installed command tree and the database's names.
_practice() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local words candidates=() c
    words=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null) || return 0
    for c in $words; do
        [[ $c == "$cur"* ]] && candidates+=("$(printf '%q' "$c")")
    done
    COMPREPLY=("${candidates[@]}")
}
complete -o default -F _practice practice
