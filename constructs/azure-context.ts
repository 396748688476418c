import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { DataAzurermSubscription } from '@cdktf/provider-azurerm/lib/data-azurerm-subscription';
import { TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';

/**
 * Facts about the credentials Terraform runs with (tenant, subscription, caller), one per stack, read
 * from data sources created on first use, so a stack that needs none of them declares none.
 */
export class AzureContext extends Construct {
  static of(scope: IConstruct): AzureContext {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild(AzureContext.ID) as AzureContext | undefined) ?? new AzureContext(stack, AzureContext.ID);
  }

  private static readonly ID = 'Azure';
  private clientConfig?: DataAzurermClientConfig;
  private subscription?: DataAzurermSubscription;

  /** The tenant of the credentials Terraform runs with. */
  get tenantId(): string {
    return this.callerConfig().tenantId;
  }

  /** The object id of whoever runs Terraform: a person after `az login`, or a pipeline's principal. */
  get callerObjectId(): string {
    return this.callerConfig().objectId;
  }

  /** `/subscriptions/<id>`: the prefix of subscription-scoped role definition ids. */
  get subscriptionResourceId(): string {
    this.subscription ??= new DataAzurermSubscription(this, 'Subscription', {});
    return this.subscription.id;
  }

  private callerConfig(): DataAzurermClientConfig {
    this.clientConfig ??= new DataAzurermClientConfig(this, 'Client', {});
    return this.clientConfig;
  }
}
