{#
    What each customer said: latest NPS score and its category, average CSAT (surveys of type
    csat and ticket CSAT scores, both on 1–5), reviews and their average rating, and the average
    sentiment of everything they wrote (reviews, survey comments, tickets) with its main theme.
    NPS categories: promoter 9–10, passive 7–8, detractor 0–6.
#}
with

responses as (

    select * from {{ ref('stg_surveys__responses') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

reviews as (

    select * from {{ ref('stg_feedback__reviews') }}

),

text_insights as (

    select * from {{ ref('int_text__insights') }}

),

identity_map as (

    select * from {{ ref('customer_identity_map') }}
    where customer_id is not null

),

resolved_responses as (

    select
        identity_map.customer_id,
        responses.response_id,
        responses.survey_type,
        responses.score,
        responses.submitted_at
    from responses
    inner join identity_map
        on
            identity_map.source = 'surveys'
            and identity_map.source_table = 'responses'
            and responses.response_id = identity_map.source_key
    where responses.score is not null

),

latest_nps as (

    select
        customer_id,
        score,
        submitted_at,
        row_number() over (
            partition by customer_id order by submitted_at desc, response_id desc
        ) as recency_rank
    from resolved_responses
    where survey_type = 'nps'

),

csat_scores as (

    select
        customer_id,
        score as csat_score
    from resolved_responses
    where survey_type = 'csat'

    union all

    select
        identity_map.customer_id,
        tickets.csat_score
    from tickets
    inner join identity_map
        on
            identity_map.source = 'support'
            and identity_map.source_table = 'tickets'
            and tickets.ticket_id = identity_map.source_key
    where tickets.csat_score is not null

),

csat as (

    select
        customer_id,
        count(*) as csat_responses,
        avg(cast(csat_score as {{ type_double() }})) as average_csat
    from csat_scores
    group by 1

),

nps_responses as (

    select
        customer_id,
        count(*) as nps_responses
    from resolved_responses
    where survey_type = 'nps'
    group by 1

),

review_ratings as (

    select
        identity_map.customer_id,
        count(*) as reviews,
        avg(cast(reviews.rating as {{ type_double() }})) as average_review_rating
    from reviews
    inner join identity_map
        on
            identity_map.source = 'feedback'
            and identity_map.source_table = 'reviews'
            and reviews.review_id = identity_map.source_key
    group by 1

),

resolved_texts as (

    select
        identity_map.customer_id,
        text_insights.source_table,
        text_insights.sentiment_score,
        text_insights.primary_theme,
        text_insights.occurred_at
    from text_insights
    inner join identity_map
        on
            text_insights.source = identity_map.source
            and text_insights.source_table = identity_map.source_table
            and text_insights.source_key = identity_map.source_key

),

sentiment as (

    select
        customer_id,
        count(*) as texts,
        avg(sentiment_score) as average_sentiment,
        avg(case when source_table = 'reviews' then sentiment_score end)
            as average_review_sentiment
    from resolved_texts
    group by 1

),

theme_counts as (

    select
        customer_id,
        primary_theme,
        row_number() over (
            partition by customer_id order by count(*) desc, max(occurred_at) desc, primary_theme
        ) as theme_rank
    from resolved_texts
    where primary_theme is not null
    group by 1, 2

),

customers as (

    select customer_id from resolved_responses
    union
    select customer_id from csat_scores
    union
    select customer_id from review_ratings
    union
    select customer_id from resolved_texts

),

final as (

    select
        customers.customer_id,
        latest_nps.score as last_nps_score,
        latest_nps.submitted_at as last_nps_at,
        csat.average_csat,
        review_ratings.average_review_rating,
        sentiment.average_sentiment,
        sentiment.average_review_sentiment,
        theme_counts.primary_theme as top_feedback_theme,
        coalesce(nps_responses.nps_responses, 0) as nps_responses,
        case
            when latest_nps.score >= 9 then 'promoter'
            when latest_nps.score >= 7 then 'passive'
            when latest_nps.score is not null then 'detractor'
        end as nps_category,
        coalesce(csat.csat_responses, 0) as csat_responses,
        coalesce(review_ratings.reviews, 0) as reviews,
        coalesce(sentiment.texts, 0) as texts,
        case
            when sentiment.average_sentiment >= 0.05 then 'positive'
            when sentiment.average_sentiment <= -0.05 then 'negative'
            when sentiment.average_sentiment is not null then 'neutral'
        end as sentiment_label
    from customers
    left outer join nps_responses
        on customers.customer_id = nps_responses.customer_id
    left outer join latest_nps
        on customers.customer_id = latest_nps.customer_id and latest_nps.recency_rank = 1
    left outer join csat
        on customers.customer_id = csat.customer_id
    left outer join review_ratings
        on customers.customer_id = review_ratings.customer_id
    left outer join sentiment
        on customers.customer_id = sentiment.customer_id
    left outer join theme_counts
        on customers.customer_id = theme_counts.customer_id and theme_counts.theme_rank = 1

)

select * from final
