/**
 * CloudWatch errors as the service sends them over AWS JSON 1.0 with awsQueryCompatible
 * (reference/protocols.md 4.1): a JSON body `{"__type": "<namespace>#<Shape>", "message": ...}`
 * plus `x-amzn-query-error: <QueryCode>;<Sender|Receiver>`, from which the SDK names the error.
 */

export interface ErrorDef {
  status: number;
  type: string;
  /** x-amzn-query-error value; absent for protocol-level errors. */
  query?: string;
  message: string;
}

export const ERRORS = {
  Throttling: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException', query: 'Throttling;Sender', message: 'Rate exceeded' },
  InternalFailure: { status: 500, type: 'com.amazonaws.cloudwatch#InternalServiceFault', query: 'InternalServiceError;Receiver', message: 'Internal service error' },
  ServiceUnavailable: { status: 503, type: 'com.amazon.coral.availability#ServiceUnavailableException', query: 'ServiceUnavailable;Receiver', message: 'Service unavailable' },
  AccessDenied: { status: 403, type: 'com.amazon.coral.service#AccessDeniedException', query: 'AccessDenied;Sender', message: 'User is not authorized to perform this action' },
  ResourceNotFound: { status: 404, type: 'com.amazonaws.cloudwatch#ResourceNotFoundException', query: 'ResourceNotFound;Sender', message: 'Resource not found' },
  InvalidParameterValue: { status: 400, type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', query: 'InvalidParameterValue;Sender', message: 'Invalid parameter value' },
  InvalidParameterCombination: { status: 400, type: 'com.amazonaws.cloudwatch#InvalidParameterCombinationException', query: 'InvalidParameterCombination;Sender', message: 'Invalid parameter combination' },
  MissingParameter: { status: 400, type: 'com.amazonaws.cloudwatch#MissingRequiredParameterException', query: 'MissingParameter;Sender', message: 'Missing required parameter' },
  InvalidNextToken: { status: 400, type: 'com.amazonaws.cloudwatch#InvalidNextToken', query: 'InvalidNextToken;Sender', message: 'The service cannot decode the NextToken' },
  ValidationError: { status: 400, type: 'com.amazon.coral.validate#ValidationException', query: 'ValidationError;Sender', message: 'Validation error' },
  MissingAuthenticationToken: { status: 403, type: 'com.amazon.coral.service#MissingAuthenticationTokenException', query: 'MissingAuthenticationToken;Sender', message: 'Missing Authentication Token' },
  UnknownOperation: { status: 400, type: 'com.amazon.coral.service#UnknownOperationException', message: 'Unknown operation' },
  Serialization: { status: 400, type: 'com.amazon.coral.service#SerializationException', message: 'Malformed request body' },
} as const satisfies Record<string, ErrorDef>;

export type ErrorName = keyof typeof ERRORS;

/** An error the emulator answers with. */
export class CloudWatchFault extends Error {
  readonly def: ErrorDef;
  constructor(name: ErrorName | ErrorDef, message?: string) {
    const def = typeof name === 'string' ? ERRORS[name] : name;
    super(message ?? def.message);
    this.def = { ...def, message: message ?? def.message };
  }
}
