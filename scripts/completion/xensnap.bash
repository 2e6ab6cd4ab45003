# bash completion for xensnap (installed as share/bash-completion/completions/xensnap).
# test/install/completion.test.ts keeps the commands and options here equal to the CLI's own.

_xensnap() {
  local cur prev cword
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cword=$COMP_CWORD
  local commands="validate plan apply run list revert create delete pin unpin recover simulate status lab help"

  # the command is the first word that is neither an option nor the value of --config
  local i cmd="" at=0
  for ((i = 1; i < cword; i++)); do
    case ${COMP_WORDS[i]} in
      --config) ((i++)) ;;
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; at=$i; break ;;
    esac
  done

  case $prev in
    --config | --policy | --observed | --policies | -o)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --type)
      COMPREPLY=($(compgen -W "internal external" -- "$cur"))
      return
      ;;
  esac

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands --config --help --version" -- "$cur"))
    return
  fi

  local opts=""
  case $cmd in
    validate) opts="-l --long --json" ;;
    plan) opts="--at --json --diff -l --long -o --detailed-exitcode --domain --observed --policies" ;;
    apply) opts="--at --yes --max-deletes --json" ;;
    run) opts="--once --at" ;;
    list) opts="-l --long --tree --json" ;;
    revert) opts="--yes --stop --paused" ;;
    create) opts="-n --name --live --disk-only --type --disks --description --pin --json" ;;
    delete) opts="--yes --foreign --json" ;;
    pin | unpin) opts="" ;;
    recover) opts="--dry-run --discard --yes" ;;
    simulate) opts="--policy --name --from --to --disk-growth --json" ;;
    status) opts="--json" ;;
    lab)
      if ((cword == at + 1)); then COMPREPLY=($(compgen -W "create destroy" -- "$cur")); else COMPREPLY=($(compgen -d -- "$cur")); fi
      return
      ;;
    help)
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
      return
      ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts --config --help" -- "$cur"))
  elif [[ $cmd == validate || $cmd == apply ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _xensnap xensnap
