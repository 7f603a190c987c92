/** An error fit to show a person: `message` says what happened and, where they can act, what to do. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class IncidentNotFoundError extends DomainError {
  constructor() {
    super('incident_not_found', 'That incident no longer exists.');
  }
}

/** Something that works only in an incident channel was asked elsewhere; `message` says where to go instead. */
export class NotAnIncidentChannelError extends DomainError {
  constructor(message: string) {
    super('not_incident_channel', message);
  }
}

/** Slack refused a call we needed; the message names what to fix where possible. */
export class ChatPlatformError extends DomainError {
  constructor(
    readonly slackError: string,
    message: string,
  ) {
    super('chat_platform_error', message);
  }
}

/** The incident already is in the state asked for (double click, second person). Not an error, just a note. */
export class AlreadyDoneError extends DomainError {
  constructor(message: string) {
    super('already_done', message);
  }
}
