// Package fsparse reads an originate command exactly as FreeSWITCH 1.10 does.
//
// It exists to prove that the dialer's originate builder (package esl) cannot
// be steered by the values it renders, and to let the FreeSWITCH simulator
// (package esl/fssim) understand the originates it receives. It is a port, line
// by line, of the C code involved, not a re-invention of the syntax:
//
//   - ESL framing (mod_event_socket.c read_packet, parse_command, strip_cr):
//     ParseCommandLine.
//   - API argument splitting (switch_utils.c switch_separate_string,
//     separate_string_blank_delim, cleanup_separated_string, unescape_char):
//     SplitArgs.
//   - originate (mod_commands.c originate_function, switch_ivr_originate.c
//     switch_ivr_originate and switch_ivr_enterprise_originate,
//     switch_event.c switch_event_create_brackets, switch_utils.c
//     switch_find_end_paren, switch_strchr_strict): ParseOriginate.
//
// The quirks are kept on purpose, because they are what an attacker would use:
// quotes are consumed by the API split before the dial-string parser sees
// them ({a='1,2',b=x} gives a=1), block ends are found by counting brackets
// without honouring quotes ({a='x}y'} gives a=x and the endpoint "y}..."),
// '|' is split before [] blocks are parsed ([a=x|y] is two broken legs), a
// variable is split on its first '=', "\," escapes a comma inside a block and
// a leading "^^X" picks X as a block's separator, and ":_:" anywhere in the
// dial string turns the originate into an enterprise originate.
//
// Where the C code has undefined behaviour (reading past a string's end after
// a trailing backslash, or after a block followed only by spaces) the port
// reads the terminator instead; where it would crash (an "undef" dial string
// or destination) ParseOriginate returns ErrMalformed. ParseOriginate and
// ParseCommandLine never panic.
//
// Not modelled: variable names containing '[' (FreeSWITCH treats them as array
// headers), the refusal to set a channel variable whose value contains both
// "${" and "}" (unless origination_nested_vars is set), what the endpoint
// modules do with the endpoint string, and runtime outcomes such as an empty
// leg failing with a cause.
package fsparse
