export { MAX_BODY_BYTES, startApiGateway, type ApiGatewayOptions, type LambdaHandler, type RunningApiGateway } from './server';
export { createConsoleSite, CONSOLE_TOKEN_PATH, type ConsoleSite } from './console';
