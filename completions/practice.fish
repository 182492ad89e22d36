# fish completion for practice: asks the binary itself (practice __complete),
# which prints `value` or `value<TAB>description` lines (as fish reads them),
# then a directive line: `:` (nothing more), `:files [EXT]` or `:dirs`.
function __practice_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l lines ($words[1] __complete $words[2..-1] 2>/dev/null)
    set -q lines[1]; or return
    set -l directive $lines[-1]
    set -e lines[-1]
    set -l values (string match -v -- '-*' $lines)
    set -l options (string match -- '-*' $lines)
    # Values and subcommands; options when the word starts with "-" or nothing else fits.
    if not string match -q -- '-*' $cur
        set -q values[1]; and printf '%s\n' $values
        switch $directive
            case ':files *'
                # Folders, and the files with that extension.
                set -l ext (string replace ':files ' '' -- $directive)
                __fish_complete_path $cur | string match -r -i -- '^[^\t]*(?:/|\.'$ext')(?:\t.*)?$'
            case ':files'
                __fish_complete_path $cur
            case ':dirs'
                __fish_complete_directories $cur
        end
    end
    if string match -q -- '-*' $cur; or begin
            not set -q values[1]; and not string match -q -r '^:(files|dirs)' -- $directive
        end
        set -q options[1]; and printf '%s\n' $options
    end
end
complete -c practice -f -a '(__practice_complete)'
