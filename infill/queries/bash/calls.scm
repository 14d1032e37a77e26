; Names a piece of code calls: the command name of a command (infill.sources).

(command name: (command_name (word) @call.name))
