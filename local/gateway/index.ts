export { MAX_BODY_BYTES, startApiGateway, type ApiGatewayOptions, type LambdaHandler, type RunningApiGateway } from './server';
