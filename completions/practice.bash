# bash completion for practice: asks the binary itself (practice __complete),
# so it always matches the installed command tree and the database's names.
# `practice __complete WORDS...` prints one candidate a line (`value`, or
# `value<TAB>description`), then a directive line: `:`, `:files [EXT]` or `:dirs`.

# The word $1 with its shell quoting taken off, into REPLY; never evaluates
# anything (no eval), so a `$(...)` on the line is not run by a TAB.
_practice_unquote() {
    local in=$1 out='' quote='' c i
    for ((i = 0; i < ${#in}; i++)); do
        c=${in:i:1}
        if [[ $quote == "'" ]]; then
            if [[ $c == "'" ]]; then quote=''; else out+=$c; fi
        elif [[ $c == '\' ]]; then
            i=$((i + 1))
            # Inside double quotes a backslash escapes only these.
            if [[ $quote == '"' && ${in:i:1} != [\"\\\$\`] ]]; then out+='\'; fi
            out+=${in:i:1}
        elif [[ $quote == '"' ]]; then
            if [[ $c == '"' ]]; then quote=''; else out+=$c; fi
        elif [[ $c == [\"\'] ]]; then
            quote=$c
        else
            out+=$c
        fi
    done
    REPLY=$out
}

# Adds file names to COMPREPLY: all (no argument), those ending in .EXT
# (" EXT") and folders, or folders only (-d).
_practice_files() {
    local ext=${1# }
    if declare -F _filedir >/dev/null; then
        _filedir "$ext"
        return
    fi
    compopt -o filenames 2>/dev/null
    if [[ $ext == -d ]]; then
        COMPREPLY+=($(compgen -d -- "$want"))
    elif [[ -n $ext ]]; then
        COMPREPLY+=($(compgen -d -- "$want") $(compgen -f -X "!*.$ext" -- "$want"))
    else
        COMPREPLY+=($(compgen -f -- "$want"))
    fi
}

_practice() {
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        # -n =: keeps names with = or : in one word; -s splits --flag=value.
        _init_completion -n =: -s || return
    else
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]}
    fi
    local -a args=() lines=() values=() options=()
    local w REPLY IFS=$'\n' line directive want
    for w in "${words[@]:1:cword-1}"; do
        _practice_unquote "$w"
        args+=("$REPLY")
    done
    if [[ $split == true ]]; then
        args+=("$prev")
    fi
    mapfile -t lines < <("${words[0]}" __complete "${args[@]}" 2>/dev/null)
    ((${#lines[@]})) || return 0
    directive=${lines[-1]}
    unset 'lines[-1]'
    _practice_unquote "$cur"
    want=$REPLY
    for line in "${lines[@]}"; do
        line=${line%%$'\t'*}
        [[ $line == "$want"* ]] || continue
        if [[ $line == -* ]]; then options+=("$line"); else values+=("$line"); fi
    done
    # Values and subcommands; options when the word starts with "-" or nothing else fits.
    if [[ $want == -* || (${#values[@]} -eq 0 && $directive != :files* && $directive != :dirs) ]]; then
        values+=("${options[@]}")
    fi
    COMPREPLY=()
    if ((${#values[@]})); then
        local needs_quoting=false has_slash=false v q
        for v in "${values[@]}"; do
            printf -v q '%q' "$v"
            [[ $q != "$v" ]] && needs_quoting=true
            [[ $v == */* ]] && has_slash=true
        done
        if [[ $needs_quoting == true && $has_slash == false ]]; then
            # readline quotes what it inserts (after an opening quote too) and
            # lists the names as they are, not backslash-escaped.
            compopt -o filenames 2>/dev/null
            COMPREPLY=("${values[@]}")
        elif [[ $needs_quoting == true && $cur != [\"\']* ]]; then
            # A name with a slash would be listed as a path's last part; escape it instead.
            for v in "${values[@]}"; do
                printf -v q '%q' "$v"
                COMPREPLY+=("$q")
            done
        else
            COMPREPLY=("${values[@]}")
        fi
    fi
    if [[ $want != -* ]]; then
        case $directive in
        :files*) _practice_files "${directive#:files}" ;;
        :dirs) _practice_files -d ;;
        esac
    fi
    if declare -F __ltrim_colon_completions >/dev/null; then
        __ltrim_colon_completions "$cur"
    fi
}
complete -F _practice practice
