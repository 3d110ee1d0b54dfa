// Written by scripts/make_openrpc.py from the same data as docs/openrpc.json; do not edit by hand.
// `rpc.discover` answers it; OpenRPCTests checks it equals docs/openrpc.json and the method table.

enum OpenRPCDocument {
    static let text = #"""
{
 "openrpc": "1.2.6",
 "info": {
  "title": "tokenbudget serve",
  "version": "1",
  "description": "JSON-RPC 2.0 over newline-delimited stdin/stdout (docs/protocol.md). Notifications the engine sends are listed under x-notifications."
 },
 "methods": [
  {
   "name": "session.open",
   "summary": "Opens a session on a script (docs/protocol.md, docs/providers.md).",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "script",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "scriptFile",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "provider",
     "schema": {
      "enum": [
       "gemini-live",
       "openai-realtime",
       "none"
      ]
     },
     "required": false
    },
    {
     "name": "model",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "providerPolicy",
     "schema": {
      "type": "object"
     },
     "required": false
    },
    {
     "name": "encoding",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "window",
     "schema": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100000000
     },
     "required": false
    },
    {
     "name": "reserve",
     "schema": {
      "type": "integer",
      "minimum": 0,
      "maximum": 99999999
     },
     "required": false
    },
    {
     "name": "policy",
     "schema": {
      "type": [
       "string",
       "object",
       "null"
      ]
     },
     "required": false
    },
    {
     "name": "renderer",
     "schema": {
      "enum": [
       "neutral",
       "gemini",
       "openai"
      ]
     },
     "required": false
    },
    {
     "name": "business",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "location",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "user",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "metadata",
     "schema": {
      "type": "object"
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "status": {
       "enum": [
        "active"
       ]
      },
      "encoding": {
       "type": "string"
      },
      "script": {
       "type": "object",
       "properties": {
        "tokens": {
         "type": "integer"
        },
        "hash": {
         "type": "string"
        }
       },
       "required": [
        "hash",
        "tokens"
       ],
       "additionalProperties": false
      },
      "policy": {
       "type": "object"
      },
      "usage": {
       "$ref": "#/components/schemas/Usage"
      },
      "capacity": {
       "type": "object",
       "properties": {
        "limit": {
         "type": "integer"
        },
        "room": {
         "type": "integer"
        },
        "overheadPerItem": {
         "type": "integer"
        }
       },
       "required": [
        "limit",
        "overheadPerItem",
        "room"
       ],
       "additionalProperties": false
      },
      "hash": {
       "type": "string"
      },
      "snapshot": {
       "type": "object"
      },
      "provider": {
       "type": "object",
       "properties": {
        "name": {
         "type": "string"
        },
        "model": {
         "type": "string"
        },
        "held": {
         "type": "integer"
        },
        "stale": {
         "type": "integer"
        },
        "limit": {
         "type": "integer"
        }
       },
       "required": [
        "held",
        "limit",
        "model",
        "name",
        "stale"
       ],
       "additionalProperties": false
      },
      "send": {
       "type": "array",
       "items": {
        "$ref": "#/components/schemas/ProviderMessage"
       }
      }
     },
     "required": [
      "capacity",
      "encoding",
      "hash",
      "policy",
      "script",
      "session",
      "snapshot",
      "status",
      "usage"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/sessionExists"
    },
    {
     "$ref": "#/components/errors/scriptOverBudget"
    },
    {
     "$ref": "#/components/errors/invalidPolicy"
    },
    {
     "$ref": "#/components/errors/tokenizerUnavailable"
    },
    {
     "$ref": "#/components/errors/scriptUnreadable"
    },
    {
     "$ref": "#/components/errors/invalidConfiguration"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "turn.append",
   "summary": "A turn, or a chunk of one.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "role",
     "schema": {
      "enum": [
       "user",
       "model"
      ]
     },
     "required": true
    },
    {
     "name": "text",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "final",
     "schema": {
      "type": "boolean"
     },
     "required": false
    },
    {
     "name": "metadata",
     "schema": {
      "type": "object"
     },
     "required": false
    },
    {
     "name": "audioMs",
     "schema": {
      "type": "integer",
      "minimum": 0,
      "maximum": 86400000
     },
     "required": false
    },
    {
     "name": "providerItemId",
     "schema": {
      "type": "string",
      "minLength": 1
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "$ref": "#/components/schemas/Change"
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/overBudget"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "instruction.push",
   "summary": "A manager instruction, buffered as pending.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "text",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "$ref": "#/components/schemas/Change"
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/overBudget"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    },
    {
     "$ref": "#/components/errors/instructionTooLong"
    }
   ]
  },
  {
   "name": "client.speechStarted",
   "summary": "The client started speaking: the pending instruction becomes active.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "$ref": "#/components/schemas/Change"
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/overBudget"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "model.turnComplete",
   "summary": "The model finished its turn: the active instruction is stripped.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "$ref": "#/components/schemas/Change"
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/overBudget"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "summary.set",
   "summary": "Sets (or with null removes) the summary of evicted history.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "text",
     "schema": {
      "type": [
       "string",
       "null"
      ]
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "$ref": "#/components/schemas/Change"
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/overBudget"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "context.snapshot",
   "summary": "The full compacted context in a renderer's shape.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "renderer",
     "schema": {
      "enum": [
       "neutral",
       "gemini",
       "openai"
      ]
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "status": {
       "type": "string"
      },
      "usage": {
       "$ref": "#/components/schemas/Usage"
      },
      "hash": {
       "type": "string"
      },
      "renderer": {
       "type": "string"
      },
      "snapshot": {
       "type": "object"
      }
     },
     "required": [
      "hash",
      "renderer",
      "session",
      "snapshot",
      "status",
      "usage"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    }
   ]
  },
  {
   "name": "session.ping",
   "summary": "Keeps an active session from being abandoned.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "status": {
       "enum": [
        "active"
       ]
      },
      "idleTimeoutSeconds": {
       "type": "number"
      }
     },
     "required": [
      "idleTimeoutSeconds",
      "session",
      "status"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    }
   ]
  },
  {
   "name": "session.close",
   "summary": "Ends a session.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "status",
     "schema": {
      "enum": [
       "closed",
       "resolved"
      ]
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "status": {
       "enum": [
        "closed",
        "resolved"
       ]
      },
      "figures": {
       "type": "object",
       "properties": {
        "durationSeconds": {
         "type": "number"
        },
        "messages": {
         "type": "integer"
        },
        "usage": {
         "$ref": "#/components/schemas/Usage"
        },
        "summary": {
         "type": "object",
         "properties": {
          "turns": {
           "type": "integer"
          },
          "finalHash": {
           "type": "string"
          }
         },
         "required": [
          "finalHash",
          "turns"
         ],
         "additionalProperties": false
        }
       },
       "required": [
        "durationSeconds",
        "messages",
        "summary",
        "usage"
       ],
       "additionalProperties": false
      }
     },
     "required": [
      "figures",
      "session",
      "status"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "session.resume",
   "summary": "The session as the engine holds it (rebuilt after a restart).",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "status": {
       "type": "string"
      },
      "version": {
       "type": "integer"
      },
      "usage": {
       "$ref": "#/components/schemas/Usage"
      },
      "hash": {
       "type": "string"
      },
      "pendingInstruction": {
       "oneOf": [
        {
         "type": "string"
        },
        {
         "type": "null"
        }
       ]
      },
      "activeInstruction": {
       "oneOf": [
        {
         "type": "string"
        },
        {
         "type": "null"
        }
       ]
      },
      "snapshot": {
       "type": "object"
      }
     },
     "required": [
      "activeInstruction",
      "hash",
      "pendingInstruction",
      "session",
      "snapshot",
      "status",
      "usage",
      "version"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "resume.update",
   "summary": "Keeps the latest resumable handle.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "handle",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "resumable",
     "schema": {
      "type": "boolean"
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "handle": {
       "oneOf": [
        {
         "type": "string"
        },
        {
         "type": "null"
        }
       ]
      },
      "resumable": {
       "type": "boolean"
      }
     },
     "required": [
      "handle",
      "resumable",
      "session"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "resume.goAway",
   "summary": "The connection is about to end: the plan.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "timeLeftMs",
     "schema": {
      "type": "integer",
      "minimum": 0,
      "maximum": 86400000
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "oneOf": [
      {
       "type": "object",
       "properties": {
        "session": {
         "type": "string"
        },
        "action": {
         "enum": [
          "reconnect"
         ]
        },
        "handle": {
         "type": "string"
        },
        "attempt": {
         "type": "integer"
        },
        "maxAttempts": {
         "type": "integer"
        },
        "delayMs": {
         "type": "integer"
        },
        "timeLeftMs": {
         "type": "integer"
        },
        "send": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/ProviderMessage"
         }
        }
       },
       "required": [
        "action",
        "attempt",
        "delayMs",
        "handle",
        "maxAttempts",
        "session",
        "timeLeftMs"
       ],
       "additionalProperties": false
      },
      {
       "type": "object",
       "properties": {
        "session": {
         "type": "string"
        },
        "action": {
         "enum": [
          "reseed"
         ]
        },
        "reason": {
         "type": "string"
        },
        "hash": {
         "type": "string"
        },
        "usage": {
         "$ref": "#/components/schemas/Usage"
        },
        "snapshot": {
         "type": "object"
        }
       },
       "required": [
        "action",
        "hash",
        "reason",
        "session",
        "snapshot",
        "usage"
       ],
       "additionalProperties": false
      },
      {
       "type": "object",
       "properties": {
        "session": {
         "type": "string"
        },
        "action": {
         "enum": [
          "end"
         ]
        },
        "reason": {
         "type": "string"
        }
       },
       "required": [
        "action",
        "reason",
        "session"
       ],
       "additionalProperties": false
      },
      {
       "$ref": "#/components/schemas/Change"
      }
     ]
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/rebuildMismatch"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    },
    {
     "$ref": "#/components/errors/ownedElsewhere"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "resume.connected",
   "summary": "The new connection is up (with a provider: re-seeded or resumed).",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "reseeded",
     "schema": {
      "type": "boolean"
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "oneOf": [
      {
       "type": "object",
       "properties": {
        "session": {
         "type": "string"
        },
        "attempts": {
         "type": "integer"
        }
       },
       "required": [
        "attempts",
        "session"
       ],
       "additionalProperties": false
      },
      {
       "$ref": "#/components/schemas/Change"
      }
     ]
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "usage.report",
   "summary": "What the provider reported for its last response, against the ledger.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "usageMetadata",
     "schema": {
      "type": "object"
     },
     "required": false
    },
    {
     "name": "usage",
     "schema": {
      "type": "object"
     },
     "required": false
    },
    {
     "name": "inputTokens",
     "schema": {
      "type": "integer",
      "minimum": 0,
      "maximum": 1000000000
     },
     "required": false
    },
    {
     "name": "audioTokens",
     "schema": {
      "type": "integer",
      "minimum": 0,
      "maximum": 1000000000
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "$ref": "#/components/schemas/Change"
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/sessionNotActive"
    },
    {
     "$ref": "#/components/errors/notStored"
    },
    {
     "$ref": "#/components/errors/outcomeUnknown"
    },
    {
     "$ref": "#/components/errors/writesRefused"
    }
   ]
  },
  {
   "name": "session.get",
   "summary": "The stored record, with usage and hash (without a store, an ended session: its id and status).",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "oneOf": [
      {
       "$ref": "#/components/schemas/SessionRecord"
      },
      {
       "type": "object",
       "properties": {
        "id": {
         "type": "string"
        },
        "status": {
         "enum": [
          "closed",
          "resolved",
          "abandoned"
         ]
        }
       },
       "required": [
        "id",
        "status"
       ],
       "additionalProperties": false
      }
     ]
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    }
   ]
  },
  {
   "name": "session.messages",
   "summary": "One page of the stored transcript, in seq order.",
   "params": [
    {
     "name": "session",
     "schema": {
      "type": "string"
     },
     "required": true
    },
    {
     "name": "limit",
     "schema": {
      "type": "integer",
      "minimum": 1,
      "maximum": 500
     },
     "required": false
    },
    {
     "name": "after",
     "schema": {
      "type": "integer",
      "minimum": -1
     },
     "required": false
    },
    {
     "name": "cursor",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "requestId",
     "schema": {
      "type": "string",
      "minLength": 1,
      "maxLength": 256,
      "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the original result (docs/protocol.md)"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "type": "string"
      },
      "messages": {
       "type": "array",
       "items": {
        "$ref": "#/components/schemas/Message"
       }
      },
      "nextCursor": {
       "oneOf": [
        {
         "type": "string"
        },
        {
         "type": "null"
        }
       ]
      }
     },
     "required": [
      "messages",
      "nextCursor",
      "session"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/unknownSession"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    }
   ]
  },
  {
   "name": "sessions.active",
   "summary": "The active session of a business or user.",
   "params": [
    {
     "name": "business",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "user",
     "schema": {
      "type": "string"
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "session": {
       "oneOf": [
        {
         "$ref": "#/components/schemas/SessionRecord"
        },
        {
         "type": "null"
        }
       ]
      }
     },
     "required": [
      "session"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    }
   ]
  },
  {
   "name": "sessions.history",
   "summary": "Recent sessions of a business or user.",
   "params": [
    {
     "name": "business",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "user",
     "schema": {
      "type": "string"
     },
     "required": false
    },
    {
     "name": "limit",
     "schema": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100
     },
     "required": false
    }
   ],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "sessions": {
       "type": "array",
       "items": {
        "$ref": "#/components/schemas/SessionRecord"
       }
      }
     },
     "required": [
      "sessions"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/invalidParams"
    },
    {
     "$ref": "#/components/errors/storeUnavailable"
    }
   ]
  },
  {
   "name": "sessions.stats",
   "summary": "Figures per status.",
   "params": [],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "properties": {
      "byStatus": {
       "type": "object",
       "properties": {
        "active": {
         "$ref": "#/components/schemas/StatusFigures"
        },
        "closed": {
         "$ref": "#/components/schemas/StatusFigures"
        },
        "resolved": {
         "$ref": "#/components/schemas/StatusFigures"
        },
        "abandoned": {
         "$ref": "#/components/schemas/StatusFigures"
        }
       },
       "required": [
        "abandoned",
        "active",
        "closed",
        "resolved"
       ],
       "additionalProperties": false
      }
     },
     "required": [
      "byStatus"
     ],
     "additionalProperties": false
    }
   },
   "errors": [
    {
     "$ref": "#/components/errors/storeUnavailable"
    }
   ]
  },
  {
   "name": "rpc.discover",
   "summary": "This document.",
   "params": [],
   "result": {
    "name": "result",
    "schema": {
     "type": "object",
     "required": [
      "openrpc",
      "methods"
     ]
    }
   },
   "errors": []
  }
 ],
 "components": {
  "schemas": {
   "Usage": {
    "type": "object",
    "properties": {
     "window": {
      "type": "integer"
     },
     "reserve": {
      "type": "integer"
     },
     "limit": {
      "type": "integer"
     },
     "script": {
      "type": "integer"
     },
     "summary": {
      "type": "integer"
     },
     "history": {
      "type": "integer"
     },
     "instruction": {
      "type": "integer"
     },
     "total": {
      "type": "integer"
     },
     "free": {
      "type": "integer"
     },
     "items": {
      "type": "integer"
     }
    },
    "required": [
     "free",
     "history",
     "instruction",
     "items",
     "limit",
     "reserve",
     "script",
     "summary",
     "total",
     "window"
    ],
    "additionalProperties": false
   },
   "Item": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "kind": {
      "enum": [
       "script",
       "summary",
       "turn",
       "instruction"
      ]
     },
     "role": {
      "enum": [
       "system",
       "user",
       "model"
      ]
     },
     "text": {
      "type": "string"
     },
     "tokens": {
      "type": "integer"
     },
     "final": {
      "type": "boolean"
     }
    },
    "required": [
     "final",
     "id",
     "kind",
     "role",
     "text",
     "tokens"
    ],
    "additionalProperties": false
   },
   "UpdatedItem": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "kind": {
      "enum": [
       "turn"
      ]
     },
     "role": {
      "enum": [
       "user",
       "model"
      ]
     },
     "appended": {
      "type": "string"
     },
     "tokens": {
      "type": "integer"
     },
     "final": {
      "type": "boolean"
     }
    },
    "required": [
     "appended",
     "final",
     "id",
     "kind",
     "role",
     "tokens"
    ],
    "additionalProperties": false
   },
   "Delta": {
    "type": "object",
    "properties": {
     "added": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Item"
      }
     },
     "updated": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/UpdatedItem"
      }
     },
     "removed": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    },
    "required": [
     "added",
     "removed",
     "updated"
    ],
    "additionalProperties": false
   },
   "Note": {
    "type": "object",
    "properties": {
     "note": {
      "enum": [
       "evicted",
       "instructionReplaced",
       "instructionsCoalesced",
       "instructionTruncated",
       "instructionActivated",
       "instructionStripped",
       "instructionKept"
      ]
     },
     "id": {
      "type": "string"
     },
     "exchanges": {
      "type": "integer"
     },
     "items": {
      "type": "integer"
     },
     "tokens": {
      "type": "integer"
     },
     "fromTokens": {
      "type": "integer"
     },
     "toTokens": {
      "type": "integer"
     }
    },
    "required": [
     "note"
    ],
    "additionalProperties": false
   },
   "ProviderLedger": {
    "type": "object",
    "properties": {
     "held": {
      "type": "integer"
     },
     "stale": {
      "type": "integer"
     },
     "limit": {
      "type": "integer"
     }
    },
    "required": [
     "held",
     "limit",
     "stale"
    ],
    "additionalProperties": false
   },
   "ProviderMessage": {
    "type": "object",
    "description": "A provider client message, exact JSON (Gemini LiveClientMessage, OpenAI realtime client event); checked against the SDK types by scripts/provider_oracle.py"
   },
   "Reseed": {
    "type": "object",
    "properties": {
     "reason": {
      "type": "string"
     },
     "held": {
      "type": "integer"
     },
     "send": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ProviderMessage"
      }
     }
    },
    "required": [
     "held",
     "reason",
     "send"
    ],
    "additionalProperties": false
   },
   "Drift": {
    "type": "object",
    "properties": {
     "reported": {
      "type": "integer"
     },
     "held": {
      "type": "integer"
     },
     "driftTokens": {
      "type": "integer"
     },
     "driftPercent": {
      "type": "number"
     },
     "calibrated": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "audio": {
      "type": "object",
      "properties": {
       "reported": {
        "type": "integer"
       },
       "held": {
        "type": "integer"
       }
      },
      "required": [
       "held",
       "reported"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "calibrated",
     "driftPercent",
     "driftTokens",
     "held",
     "reported"
    ],
    "additionalProperties": false
   },
   "Change": {
    "type": "object",
    "properties": {
     "session": {
      "type": "string"
     },
     "version": {
      "type": "integer"
     },
     "usage": {
      "$ref": "#/components/schemas/Usage"
     },
     "delta": {
      "$ref": "#/components/schemas/Delta"
     },
     "hash": {
      "type": "string"
     },
     "notes": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Note"
      }
     },
     "pendingInstruction": {
      "type": "string"
     },
     "activeInstruction": {
      "type": "string"
     },
     "provider": {
      "$ref": "#/components/schemas/ProviderLedger"
     },
     "send": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/ProviderMessage"
      }
     },
     "reseed": {
      "$ref": "#/components/schemas/Reseed"
     },
     "attempts": {
      "type": "integer"
     },
     "drift": {
      "$ref": "#/components/schemas/Drift"
     },
     "action": {
      "enum": [
       "reseed"
      ]
     },
     "reason": {
      "type": "string"
     },
     "timeLeftMs": {
      "type": "integer"
     }
    },
    "required": [
     "delta",
     "hash",
     "session",
     "usage",
     "version"
    ],
    "additionalProperties": false
   },
   "SessionRecord": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "businessId": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "locationId": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "userId": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "status": {
      "enum": [
       "active",
       "closed",
       "resolved",
       "abandoned"
      ]
     },
     "createdAt": {
      "type": "number"
     },
     "updatedAt": {
      "type": "number"
     },
     "lastMessageAt": {
      "oneOf": [
       {
        "type": "number"
       },
       {
        "type": "null"
       }
      ]
     },
     "expiresAt": {
      "oneOf": [
       {
        "type": "number"
       },
       {
        "type": "null"
       }
      ]
     },
     "metadata": {},
     "configuration": {
      "type": "object"
     },
     "scriptHash": {
      "type": "string"
     },
     "messageCount": {
      "type": "integer"
     },
     "figures": {},
     "snapshotVersion": {
      "type": "integer"
     },
     "snapshotHash": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "usage": {
      "$ref": "#/components/schemas/Usage"
     },
     "hash": {
      "type": "string"
     }
    },
    "required": [
     "businessId",
     "configuration",
     "createdAt",
     "expiresAt",
     "figures",
     "id",
     "lastMessageAt",
     "locationId",
     "messageCount",
     "metadata",
     "scriptHash",
     "snapshotHash",
     "snapshotVersion",
     "status",
     "updatedAt",
     "userId"
    ],
    "additionalProperties": false
   },
   "Message": {
    "type": "object",
    "properties": {
     "messageId": {
      "type": "string"
     },
     "sessionId": {
      "type": "string"
     },
     "seq": {
      "type": "integer"
     },
     "type": {
      "enum": [
       "user",
       "model",
       "instruction",
       "system"
      ]
     },
     "content": {
      "type": "string"
     },
     "tokens": {
      "type": "integer"
     },
     "timestamp": {
      "type": "number"
     },
     "metadata": {}
    },
    "required": [
     "content",
     "messageId",
     "metadata",
     "seq",
     "sessionId",
     "timestamp",
     "tokens",
     "type"
    ],
    "additionalProperties": false
   },
   "StatusFigures": {
    "type": "object",
    "properties": {
     "count": {
      "type": "integer"
     },
     "averageDurationSeconds": {
      "type": "number"
     },
     "averageMessages": {
      "type": "number"
     }
    },
    "required": [
     "averageDurationSeconds",
     "averageMessages",
     "count"
    ],
    "additionalProperties": false
   }
  },
  "errors": {
   "parseError": {
    "code": -32700,
    "message": "not JSON, or invalid UTF-8"
   },
   "invalidRequest": {
    "code": -32600,
    "message": "not a request object, or a line over --max-line-bytes"
   },
   "methodNotFound": {
    "code": -32601,
    "message": "unknown method"
   },
   "invalidParams": {
    "code": -32602,
    "message": "a parameter missing, unknown, of the wrong type or out of range"
   },
   "internalError": {
    "code": -32603,
    "message": "internal error (a bug)"
   },
   "unknownSession": {
    "code": -32001,
    "message": "unknown session"
   },
   "sessionNotActive": {
    "code": -32002,
    "message": "the session is closed, resolved or abandoned"
   },
   "sessionExists": {
    "code": -32003,
    "message": "the id is already used (open now, or a conversation that ended)"
   },
   "scriptOverBudget": {
    "code": -32004,
    "message": "the script alone exceeds window − reserve"
   },
   "overBudget": {
    "code": -32005,
    "message": "does not fit even after evicting every evictable exchange; nothing changed"
   },
   "instructionTooLong": {
    "code": -32006,
    "message": "an instruction over the policy's maxTokens with overLimit reject"
   },
   "invalidPolicy": {
    "code": -32007,
    "message": "invalid policy or providerPolicy"
   },
   "tokenizerUnavailable": {
    "code": -32008,
    "message": "unknown encoding, or its vocabulary is missing"
   },
   "scriptUnreadable": {
    "code": -32009,
    "message": "scriptFile cannot be read"
   },
   "invalidConfiguration": {
    "code": -32010,
    "message": "invalid window/reserve"
   },
   "notStored": {
    "code": -32011,
    "message": "the change could not be stored; its batch was undone (data.reason: the store's code)"
   },
   "storeUnavailable": {
    "code": -32012,
    "message": "the method needs a store, or the store failed to answer"
   },
   "ownedElsewhere": {
    "code": -32013,
    "message": "another engine holds the session, or took it over"
   },
   "rebuildMismatch": {
    "code": -32014,
    "message": "a stored session cannot be rebuilt as it was; it is not served"
   },
   "outcomeUnknown": {
    "code": -32015,
    "message": "an I/O error at COMMIT: the change may or may not be stored (retry with the same requestId)"
   },
   "writesRefused": {
    "code": -32016,
    "message": "the store refuses writes (a commit's outcome unknown, or the file replaced) until a restart"
   }
  }
 },
 "x-notifications": [
  {
   "name": "session.abandoned",
   "params": {
    "type": "object",
    "properties": {
     "session": {
      "type": "string"
     },
     "idleSeconds": {
      "type": "number"
     }
    },
    "required": [
     "idleSeconds",
     "session"
    ],
    "additionalProperties": false
   }
  },
  {
   "name": "session.lost",
   "params": {
    "type": "object",
    "properties": {
     "session": {
      "type": "string"
     }
    },
    "required": [
     "session"
    ],
    "additionalProperties": false
   }
  },
  {
   "name": "provider.drift",
   "params": {
    "type": "object",
    "properties": {
     "session": {
      "type": "string"
     },
     "reported": {
      "type": "integer"
     },
     "held": {
      "type": "integer"
     },
     "driftTokens": {
      "type": "integer"
     },
     "driftPercent": {
      "type": "number"
     },
     "calibrated": {
      "oneOf": [
       {
        "type": "string"
       },
       {
        "type": "null"
       }
      ]
     },
     "audio": {
      "type": "object",
      "properties": {
       "reported": {
        "type": "integer"
       },
       "held": {
        "type": "integer"
       }
      },
      "required": [
       "held",
       "reported"
      ],
      "additionalProperties": false
     }
    },
    "required": [
     "calibrated",
     "driftPercent",
     "driftTokens",
     "held",
     "reported",
     "session"
    ],
    "additionalProperties": false
   }
  }
 ]
}

"""#
}
